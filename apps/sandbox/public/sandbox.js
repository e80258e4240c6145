import { startOps } from './ops.js';
import { startOverview } from './overview.js';
import { startPhone } from './phone.js';
import { api } from './ui.js';
import { openWebChat } from './webchat.js';
import { startWhatsApp } from './whatsapp.js';

/** Shows the panel named by the URL hash and marks its tab. */
function route() {
  const tab = (location.hash || '#overview').slice(1);
  for (const panel of document.querySelectorAll('[data-panel]')) panel.hidden = panel.dataset.panel !== tab;
  for (const link of document.querySelectorAll('[data-tab]')) {
    if (link.dataset.tab === tab) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

const config = await api('/api/config');
// `?phone=+1...` plays another customer (several journeys side by side, one tab each).
const phoneOverride = new URLSearchParams(location.search).get('phone');
if (phoneOverride && /^\+[1-9]\d{6,14}$/.test(phoneOverride)) config.customerPhone = phoneOverride;
for (const node of document.querySelectorAll('[data-customer-phone]'))
  node.textContent = config.customerPhone;
startOverview(config);
if (config.simulators.phone) startPhone(config);
else document.querySelector('[data-tab="phone"]')?.remove();
if (config.simulators.whatsapp) startWhatsApp(config);
else document.querySelector('[data-tab="whatsapp"]')?.remove();
if (config.webchatUrl) {
  // The page loads when the tab is first shown (or a handoff link opens it), not before.
  window.addEventListener('hashchange', () => {
    if (location.hash === '#webchat' && document.getElementById('webchat-frame').src === 'about:blank') {
      openWebChat(config.webchatUrl, { show: false });
    }
  });
  if (location.hash === '#webchat') openWebChat(config.webchatUrl, { show: false });
} else {
  document.querySelector('[data-tab="webchat"]')?.remove();
}
if (config.simulators.ops) startOps(config);
else document.querySelector('[data-tab="ops"]')?.remove();
window.addEventListener('hashchange', route);
route();
