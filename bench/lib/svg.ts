// A bar chart of scenario "front" as hand-written SVG: CPU µs per proxied request for each row,
// with its ratio to nginx and HAProxy; rows that did not run are drawn as such, not left out.
import type { FrontSection } from './types.js';
import { num, proto, ratio } from './format.js';

function x(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLORS: Record<string, string> = { nginx: '#2e7d32', HAProxy: '#1565c0', nuncio: '#e65100' };

export function frontSvg(f: FrontSection, title: string): string {
  const rowH = 26;
  const labelW = 430;
  const barW = 420;
  const noteW = 230;
  const top = 56;
  const width = labelW + barW + noteW + 20;
  const height = top + f.rows.length * rowH + 40;
  const values = f.rows.map((r) => (r.status === 'ok' ? r.saturation?.cpuUsPerReq ?? NaN : NaN));
  const max = Math.max(1, ...values.filter((v) => Number.isFinite(v)));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="10" y="20" font-size="15" font-weight="bold">${x(title)}</text>`);
  out.push(`<text x="10" y="40" fill="#555">CPU microseconds the proxy spends per proxied request (lower is better); ${x(f.pinning)}</text>`);
  f.rows.forEach((r, i) => {
    const y = top + i * rowH;
    const label = `${r.proxy} · ${r.engine === r.proxy ? '' : `${r.engine} · `}${proto(r.downstream)} → ${proto(r.upstream)}`;
    out.push(`<text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${x(label)}</text>`);
    const v = values[i];
    if (!Number.isFinite(v)) {
      out.push(`<text x="${labelW + 4}" y="${y + 16}" fill="#b71c1c" font-weight="bold">${x(r.status === 'ok' ? 'no figure' : r.status)}</text>`);
      return;
    }
    const w = Math.max(1, (v / max) * barW);
    const color = COLORS[r.proxy] ?? '#757575';
    out.push(`<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${color}"/>`);
    out.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 16}">${x(num(v))}</text>`);
    const notes = [r.vsNginx != null ? `${ratio(r.vsNginx)} nginx` : '', r.vsHaproxy != null ? `${ratio(r.vsHaproxy)} HAProxy` : ''].filter((s) => s !== '');
    out.push(`<text x="${labelW + barW + 50}" y="${y + 16}" fill="#333">${x(notes.join(', '))}</text>`);
  });
  out.push(`<text x="10" y="${height - 12}" fill="#555">Ratios: to nginx with the same client protocol, to HAProxy with the same client and upstream protocols.</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
