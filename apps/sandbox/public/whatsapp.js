import { api, clock, el, every, post } from './ui.js';
import { openWebChat } from './webchat.js';

const TICKS = { Sent: '✓', Delivered: '✓✓', Read: '✓✓', Failed: '⚠' };

/** The WhatsApp panel: the customer's chat with the business, through the ACS Advanced Messaging emulator. */
export function startWhatsApp(config) {
  const chat = document.getElementById('wa-chat');
  const form = document.getElementById('wa-compose');
  const input = document.getElementById('wa-input');
  const number = document.getElementById('wa-number');
  const bsuid = document.getElementById('wa-bsuid');
  const hide = document.getElementById('wa-hide');
  number.value = config.customerPhone;
  const read = new Set();
  let lastRendered = '';

  const sender = () => {
    const id = bsuid.value.trim();
    if (hide.checked && id) return { from: '', fromBSUID: id };
    return id ? { from: number.value.trim(), fromBSUID: id } : { from: number.value.trim() };
  };
  const address = () => (hide.checked && bsuid.value.trim() ? bsuid.value.trim() : number.value.trim());

  async function send(content) {
    try {
      await post('/api/whatsapp/messages', { ...sender(), ...content });
      await refresh();
    } catch (error) {
      showError(error);
    }
  }

  function showError(error) {
    chat.append(el('li', { class: 'wa-system', role: 'alert' }, `Not sent: ${error.message}`));
  }

  function bubble(entry) {
    const buttons = (entry.buttons ?? []).map((label) =>
      el(
        'button',
        {
          type: 'button',
          class: 'wa-quick',
          onclick: () => send({ button: { text: label, payload: label } }),
        },
        label,
      ),
    );
    return el(
      'li',
      { class: `wa-bubble ${entry.direction}`, dataset: { kind: entry.kind, direction: entry.direction } },
      entry.template ? el('div', { class: 'wa-template' }, 'Template message') : null,
      el('div', { class: 'wa-text' }, linkified(entry.text)),
      el(
        'div',
        { class: 'wa-meta' },
        clock(entry.at),
        entry.direction === 'out' && entry.status
          ? el(
              'span',
              { class: `wa-tick ${entry.status.toLowerCase()}`, title: entry.status },
              ` ${TICKS[entry.status] ?? ''}`,
            )
          : null,
      ),
      buttons.length > 0 ? el('div', { class: 'wa-buttons' }, buttons) : null,
    );
  }

  /** Text with its http(s) links clickable; a link to the web chat page opens in the Web chat panel. */
  function linkified(text) {
    return text.split(/(https?:\/\/[^\s]+)/g).map((part, index) => {
      if (index % 2 === 0) return part;
      const url = part.replace(/[).,]+$/, '');
      const onclick =
        config.webchatUrl && url.startsWith(config.webchatUrl)
          ? (event) => {
              event.preventDefault();
              openWebChat(url);
            }
          : undefined;
      return el('a', { href: url, target: '_blank', rel: 'noopener', onclick }, url);
    });
  }

  async function refresh() {
    const { value } = await api(`/api/whatsapp/chats/${encodeURIComponent(address())}`);
    const signature = JSON.stringify(value);
    if (signature === lastRendered) return;
    lastRendered = signature;
    chat.replaceChildren(...value.map(bubble));
    chat.scrollTop = chat.scrollHeight;
    // The customer has the chat open: everything the business sent is read (blue ticks, a Read status event).
    if (!document.hidden && location.hash === '#whatsapp') {
      for (const entry of value) {
        if (entry.direction === 'out' && entry.status === 'Delivered' && !read.has(entry.id)) {
          read.add(entry.id);
          post(`/api/whatsapp/read/${encodeURIComponent(entry.id)}`).catch(() => read.delete(entry.id));
        }
      }
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    send({ text });
  });
  document
    .getElementById('wa-photo')
    .addEventListener('click', () =>
      send({ media: { mimeType: 'image/jpeg', caption: 'photo of my meter' } }),
    );
  for (const field of [number, bsuid, hide])
    field.addEventListener('change', () => {
      lastRendered = '';
      refresh().catch(showError);
    });
  every(700, refresh);
}
