// Reason phrases for status codes (Envoy's CodeUtility::toString table plus the IANA registry's newer
// entries) and cached "HTTP/1.1 NNN Reason\r\n" status lines; Envoy writes its own reason, not the upstream's.

const REASONS: Readonly<Record<number, string>> = {
  100: 'Continue',
  101: 'Switching Protocols',
  102: 'Processing',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  207: 'Multi-Status',
  208: 'Already Reported',
  226: 'IM Used',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  422: 'Unprocessable Entity',
  423: 'Locked',
  424: 'Failed Dependency',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  506: 'Variant Also Negotiates',
  507: 'Insufficient Storage',
  508: 'Loop Detected',
  510: 'Not Extended',
  511: 'Network Authentication Required',
};

/** Reason phrase for `code`; "Unknown" (as Envoy) for codes without one. */
export function statusText(code: number): string {
  return REASONS[code] ?? 'Unknown';
}

const LINES_11: string[] = new Array<string>(1000).fill('');
const LINES_10: string[] = new Array<string>(1000).fill('');

/**
 * "HTTP/1.1 200 OK\r\n" (or HTTP/1.0 with versionMinor 0), built once per code.
 * `code` must be an integer in 100..999.
 */
export function statusLine(code: number, versionMinor = 1): string {
  const cache = versionMinor === 0 ? LINES_10 : LINES_11;
  let line = cache[code];
  if (line === '') {
    line = (versionMinor === 0 ? 'HTTP/1.0 ' : 'HTTP/1.1 ') + code + ' ' + statusText(code) + '\r\n';
    cache[code] = line;
  }
  return line;
}
