import { api, el, every } from './ui.js';

/** The overview panel: service readiness and the emulators' inspection links. */
export function startOverview(config) {
  const links = document.getElementById('links');
  links.replaceChildren(...config.links.map((link) => el('li', {}, el('a', { href: link.url }, link.name))));
  const tbody = document.getElementById('services');
  every(
    2000,
    async () => {
      const services = await api('/api/services');
      tbody.replaceChildren(
        ...services.map((s) =>
          el(
            'tr',
            {},
            el('td', {}, s.name),
            el('td', { class: s.ready ? 'ready' : 'down' }, s.ready ? '● ready' : `○ ${s.detail}`),
            el(
              'td',
              {},
              el('a', { href: `${s.url}/healthz` }, 'healthz'),
              ' · ',
              el('a', { href: `${s.url}/readyz` }, 'readyz'),
              ' · ',
              el('a', { href: `${s.url}/metrics` }, 'metrics'),
            ),
          ),
        ),
      );
    },
    () => {
      tbody.replaceChildren(
        el(
          'tr',
          {},
          el(
            'td',
            { colspan: 3, class: 'down' },
            'The sandbox is not answering. Is pnpm start still running?',
          ),
        ),
      );
    },
  );
}
