// Stable error codes of the HTTP/1.1 codec (named after llhttp's where one exists) and their messages.
// Callers map them to stats and local replies; the codes never change meaning.

export type H1ErrorCode =
  | 'HPE_INVALID_CONSTANT' // a response does not start with "HTTP/"
  | 'HPE_INVALID_VERSION' // not HTTP/1.0 or HTTP/1.1
  | 'HPE_INVALID_STATUS' // status code is not 3 digits 100-999, or bad reason phrase
  | 'HPE_INVALID_METHOD' // method not a token, or not a known method when custom ones are off
  | 'HPE_INVALID_URL' // request-target of the wrong form or with forbidden characters
  | 'HPE_INVALID_HEADER_TOKEN' // bad field name: empty, non-tchar, whitespace before ':', no ':'
  | 'HPE_INVALID_HEADER_VALUE' // CTL or NUL in a field value
  | 'HPE_OBS_FOLD' // obsolete line folding, or whitespace before the first field
  | 'HPE_LF_EXPECTED' // CR not followed by LF
  | 'HPE_HEADER_OVERFLOW' // head (or trailer section) larger than maxHeaderBytes
  | 'HPE_TOO_MANY_HEADERS' // more than maxHeaders fields
  | 'HPE_INVALID_CONTENT_LENGTH' // Content-Length not a plain decimal number <= 2^53-1
  | 'HPE_UNEXPECTED_CONTENT_LENGTH' // Content-Length twice, with Transfer-Encoding, or nonzero on CONNECT, 1xx, 204
  | 'HPE_INVALID_TRANSFER_ENCODING' // Transfer-Encoding other than a single "chunked"; any on CONNECT, 1xx, 204
  | 'HPE_INVALID_CHUNK_SIZE' // chunk size not hex, empty or too large
  | 'HPE_INVALID_CHUNK_EXTENSION' // CTL or bare LF in a chunk extension
  | 'HPE_CHUNK_EXTENSIONS_OVERFLOW' // more chunk-extension bytes in one message than allowed
  | 'HPE_CR_EXPECTED' // bare LF or other byte where chunked framing needs CRLF
  | 'HPE_INVALID_EOF_STATE' // connection closed in the middle of a message
  | 'HPE_CLOSED_CONNECTION' // bytes after a message that closes the connection
  | 'HPE_INTERNAL'; // parser invariant broken (a bug)

export const H1_ERROR_MESSAGES: Readonly<Record<H1ErrorCode, string>> = {
  HPE_INVALID_CONSTANT: 'response does not start with HTTP/',
  HPE_INVALID_VERSION: 'invalid HTTP version',
  HPE_INVALID_STATUS: 'invalid status line',
  HPE_INVALID_METHOD: 'invalid method',
  HPE_INVALID_URL: 'invalid request target',
  HPE_INVALID_HEADER_TOKEN: 'invalid header field name',
  HPE_INVALID_HEADER_VALUE: 'header value contains invalid chars',
  HPE_OBS_FOLD: 'obsolete line folding or leading whitespace in header section',
  HPE_LF_EXPECTED: 'CR not followed by LF',
  HPE_HEADER_OVERFLOW: 'header section exceeds size limit',
  HPE_TOO_MANY_HEADERS: 'too many header fields',
  HPE_INVALID_CONTENT_LENGTH: 'invalid Content-Length',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Content-Length repeated, combined with Transfer-Encoding, or not allowed here',
  HPE_INVALID_TRANSFER_ENCODING: 'unsupported or disallowed Transfer-Encoding',
  HPE_INVALID_CHUNK_SIZE: 'invalid chunk size',
  HPE_INVALID_CHUNK_EXTENSION: 'invalid chunk extension',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'chunk extensions exceed size limit',
  HPE_CR_EXPECTED: 'chunked framing requires CRLF line ends',
  HPE_INVALID_EOF_STATE: 'connection closed before the message was complete',
  HPE_CLOSED_CONNECTION: 'data after a message that closes the connection',
  HPE_INTERNAL: 'internal parser error',
};
