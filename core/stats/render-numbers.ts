// Number formatting as Envoy's admin output does it: C's %g (bucket labels, Prometheus `le`), fmt's `{}`
// shortest form (text quantiles) and std::to_chars' shortest form (JSON doubles). JS's toExponential /
// toFixed are exactly rounded, like glibc's printf, so these agree digit for digit.

/** Integer values of counters and gauges (Float64 sums of whole numbers). */
export function formatInt(v: number): string {
  if (Number.isSafeInteger(v)) return String(v);
  if (!Number.isFinite(v)) return '0';
  return BigInt(Math.round(v)).toString();
}

function expParts(s: string): { mant: string; exp: number } {
  const e = s.indexOf('e');
  return { mant: s.slice(0, e), exp: Number(s.slice(e + 1)) };
}

function expSuffix(exp: number): string {
  const a = Math.abs(exp);
  return (exp < 0 ? 'e-' : 'e+') + (a < 10 ? `0${a}` : String(a));
}

function stripZeros(s: string): string {
  if (!s.includes('.')) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (s.charCodeAt(end - 1) === 46 /* . */) end--;
  return s.slice(0, end);
}

/** printf("%.<precision>g", x). */
export function formatG(x: number, precision = 6): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  const p = precision === 0 ? 1 : precision;
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { mant, exp } = expParts(x.toExponential(p - 1));
  if (exp < -4 || exp >= p) return stripZeros(mant) + expSuffix(exp);
  return stripZeros(x.toFixed(p - 1 - exp));
}

/** Shortest round-trip digits of |x| and the decimal exponent of the first digit. */
function shortestDigits(x: number): { neg: boolean; digits: string; exp: number } {
  const { mant, exp } = expParts(Math.abs(x).toExponential());
  return { neg: x < 0 || Object.is(x, -0), digits: mant.replace('.', ''), exp };
}

function fixedFrom(digits: string, exp: number): string {
  if (exp < 0) return `0.${'0'.repeat(-exp - 1)}${digits}`;
  if (exp + 1 >= digits.length) return digits + '0'.repeat(exp + 1 - digits.length);
  return `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function sciFrom(digits: string, exp: number): string {
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return m + expSuffix(exp);
}

/** fmt::format("{}", x): shortest digits, exponent form outside [1e-4, 1e16). */
export function formatFmt(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { neg, digits, exp } = shortestDigits(x);
  const body = exp < -4 || exp >= 16 ? sciFrom(digits, exp) : fixedFrom(digits, exp);
  return neg ? `-${body}` : body;
}

/** std::to_chars(double): shortest digits, fixed or exponent form whichever is shorter (fixed on a tie). */
export function formatShortest(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { neg, digits, exp } = shortestDigits(x);
  const fixed = fixedFrom(digits, exp);
  const sci = sciFrom(digits, exp);
  const body = sci.length < fixed.length ? sci : fixed;
  return neg ? `-${body}` : body;
}

/** A JSON number as Envoy's streamer writes a double: NaN becomes null. */
export function jsonDouble(x: number): string {
  return Number.isNaN(x) ? 'null' : formatShortest(x);
}
