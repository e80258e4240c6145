const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** The sandbox's landing page: a live list of the services and their readiness, and the emulators' links. */
export function statusPage(links: readonly { name: string; url: string }[] = []): string {
  const linkItems = links
    .map((l) => `<li><a href="${escapeHtml(l.url)}">${escapeHtml(l.name)}</a></li>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Omnichannel Handoff — local sandbox</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .5rem; border-bottom: 1px solid #8884; }
  .ready { color: #137333; } .down { color: #b3261e; }
  code { font-size: .9em; }
</style>
</head>
<body>
<main>
<h1>Omnichannel Handoff — local sandbox</h1>
<p>Every service runs its production code on local emulators. This page refreshes every two seconds.</p>
<table>
  <caption>Services and their readiness</caption>
  <thead><tr><th scope="col">Service</th><th scope="col">Status</th><th scope="col">Endpoints</th></tr></thead>
  <tbody id="services"><tr><td colspan="3">Loading…</td></tr></tbody>
</table>
${links.length > 0 ? `<h2>Emulators</h2>\n<p>What the local Service Bus and Foundry hold right now, as JSON. Foundry answers over https with a certificate made at start, so your browser asks once before showing it.</p>\n<ul>${linkItems}</ul>` : ''}
</main>
<script type="module">
const tbody = document.getElementById('services');
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
async function refresh() {
  try {
    const services = await (await fetch('/api/services')).json();
    tbody.innerHTML = services.map((s) => \`<tr>
      <td>\${esc(s.name)}</td>
      <td class="\${s.ready ? 'ready' : 'down'}">\${s.ready ? '● ready' : '○ ' + esc(s.detail)}</td>
      <td><a href="\${esc(s.url)}/healthz">healthz</a> · <a href="\${esc(s.url)}/readyz">readyz</a> · <a href="\${esc(s.url)}/metrics">metrics</a></td>
    </tr>\`).join('');
  } catch {
    tbody.innerHTML = '<tr><td colspan="3" class="down">The sandbox is not answering. Is <code>pnpm start</code> still running?</td></tr>';
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>`;
}
