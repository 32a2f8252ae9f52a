// DNS wire format (RFC 1035 §4) for the topology's tiny authoritative server: parse one query,
// build its answer. Pure functions over Buffers, kept apart from the sockets so tests can feed
// them raw bytes; nothing here throws on hostile input.

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const TYPE_ANY = 255;
export const CLASS_IN = 1;
export const CLASS_ANY = 255;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;

export const HEADER_SIZE = 12;
/** Largest UDP answer without EDNS; the server never echoes OPT, so this is its UDP limit. */
export const UDP_MAX = 512;
export const TCP_MAX = 65535;
/** One A record whose owner is a pointer to the question name: ptr 2, type 2, class 2, ttl 4, rdlen 2, rdata 4. */
export const A_RECORD_SIZE = 16;

const FLAG_QR = 0x8000;
const MASK_OPCODE = 0x7800;
const FLAG_AA = 0x0400;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
/** Pointer to offset 12, where the (only) question's name starts in every answer we build. */
const QUESTION_NAME_POINTER = 0xc00c;
const MAX_NAME_BYTES = 255;
const MAX_POINTER_HOPS = 16;

/** Outcome of parsing one message: a query to answer, an error to report, or nothing to send. */
export type ParsedMessage =
  | { readonly kind: 'query'; readonly id: number; readonly flags: number; readonly name: string;
      readonly qtype: number; readonly qclass: number; readonly question: Buffer }
  | { readonly kind: 'error'; readonly id: number; readonly flags: number; readonly rcode: number }
  | { readonly kind: 'ignore' };

const IGNORE: ParsedMessage = { kind: 'ignore' };

/**
 * Parses a query. `question` is the question re-encoded without compression (name in the case it
 * was asked, then qtype and qclass), ready to be echoed; `name` is lower-cased without trailing dot.
 * Messages too short to carry a header, and responses (QR=1), are ignored so two servers can never
 * ping-pong; anything else malformed gets FORMERR, other opcodes NOTIMP.
 */
export function parseQuery(msg: Buffer): ParsedMessage {
  if (msg.length < HEADER_SIZE) return IGNORE;
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if ((flags & FLAG_QR) !== 0) return IGNORE;
  if ((flags & MASK_OPCODE) !== 0) return { kind: 'error', id, flags, rcode: RCODE_NOTIMP };
  if (msg.readUInt16BE(4) !== 1) return { kind: 'error', id, flags, rcode: RCODE_FORMERR };

  // Labels are collected as (offset, length) pairs first: a compressed name cannot be copied as is.
  const labelStarts: number[] = [];
  const labelLengths: number[] = [];
  let encodedLength = 1;
  let pos = HEADER_SIZE;
  let end = -1; // offset right after the name in the message (after the first pointer, if any)
  let hops = 0;
  for (;;) {
    if (pos >= msg.length) return formErr(id, flags);
    const len = msg[pos];
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= msg.length || ++hops > MAX_POINTER_HOPS) return formErr(id, flags);
      const target = ((len & 0x3f) << 8) | msg[pos + 1];
      // Only backwards pointers: with the hop limit this rules out loops.
      if (target >= pos) return formErr(id, flags);
      if (end < 0) end = pos + 2;
      pos = target;
      continue;
    }
    if (kind !== 0) return formErr(id, flags); // 0x40/0x80 label types are obsolete or unassigned
    if (pos + 1 + len > msg.length) return formErr(id, flags);
    encodedLength += 1 + len;
    if (encodedLength > MAX_NAME_BYTES) return formErr(id, flags);
    labelStarts.push(pos + 1);
    labelLengths.push(len);
    pos += 1 + len;
  }
  if (end + 4 > msg.length) return formErr(id, flags);
  const qtype = msg.readUInt16BE(end);
  const qclass = msg.readUInt16BE(end + 2);

  const question = Buffer.allocUnsafe(encodedLength + 4);
  let out = 0;
  let name = '';
  for (let i = 0; i < labelStarts.length; i++) {
    const start = labelStarts[i];
    const len = labelLengths[i];
    question[out++] = len;
    msg.copy(question, out, start, start + len);
    out += len;
    name += (i === 0 ? '' : '.') + msg.toString('latin1', start, start + len);
  }
  question[out++] = 0;
  question.writeUInt16BE(qtype, out);
  question.writeUInt16BE(qclass, out + 2);
  return { kind: 'query', id, flags, name: name.toLowerCase(), qtype, qclass, question };
}

function formErr(id: number, flags: number): ParsedMessage {
  return { kind: 'error', id, flags, rcode: RCODE_FORMERR };
}

/** Canonical key for a name: lower case, no trailing dot (the root is ''). */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Pre-encodes A records as answers owned by the question name, so a reply is a header plus two copies. */
export function encodeARecords(ipv4s: readonly string[], ttl: number): Buffer {
  const buf = Buffer.alloc(ipv4s.length * A_RECORD_SIZE);
  let off = 0;
  for (const ip of ipv4s) {
    buf.writeUInt16BE(QUESTION_NAME_POINTER, off);
    buf.writeUInt16BE(TYPE_A, off + 2);
    buf.writeUInt16BE(CLASS_IN, off + 4);
    buf.writeUInt32BE(ttl, off + 6);
    buf.writeUInt16BE(4, off + 10);
    const parts = ip.split('.');
    for (let i = 0; i < 4; i++) buf[off + 12 + i] = Number(parts[i]);
    off += A_RECORD_SIZE;
  }
  return buf;
}

/**
 * Builds the answer to a parsed query. `answers` holds `answerCount` records of A_RECORD_SIZE bytes;
 * those that do not fit in `maxSize` are dropped and TC is set, which makes a resolver retry over TCP.
 * RD and the opcode are copied from the query, RA is 0 (we never recurse).
 */
export function buildAnswer(query: { readonly id: number; readonly flags: number; readonly question: Buffer },
  rcode: number, authoritative: boolean, answers: Buffer | null, answerCount: number, maxSize: number): Buffer {
  const fixed = HEADER_SIZE + query.question.length;
  let count = answerCount;
  let truncated = false;
  if (count > 0 && fixed + count * A_RECORD_SIZE > maxSize) {
    count = Math.max(0, Math.floor((maxSize - fixed) / A_RECORD_SIZE));
    truncated = true;
  }
  const out = Buffer.allocUnsafe(fixed + count * A_RECORD_SIZE);
  let flags = FLAG_QR | (query.flags & (MASK_OPCODE | FLAG_RD)) | (rcode & 0xf);
  if (authoritative) flags |= FLAG_AA;
  if (truncated) flags |= FLAG_TC;
  out.writeUInt16BE(query.id, 0);
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(count, 6);
  out.writeUInt32BE(0, 8); // NSCOUNT, ARCOUNT
  query.question.copy(out, HEADER_SIZE);
  if (count > 0 && answers !== null) answers.copy(out, fixed, 0, count * A_RECORD_SIZE);
  return out;
}

/** A header-only reply (no question echoed): for messages whose question could not be trusted. */
export function buildError(id: number, queryFlags: number, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_SIZE);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(FLAG_QR | (queryFlags & (MASK_OPCODE | FLAG_RD)) | (rcode & 0xf), 2);
  return out;
}
