import { api, clock, el, every, post } from './ui.js';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];
const STATES = {
  ringing: 'Ringing…',
  connecting: 'Connecting…',
  connected: 'Connected',
  transferring: 'Transferring to an agent…',
  disconnected: 'Call ended',
};

const ENTITIES = { apos: "'", quot: '"', lt: '<', gt: '>', amp: '&' };

/** What a prompt says, without SSML markup. */
function spoken(prompt) {
  if (prompt.kind !== 'ssml') return prompt.content;
  return prompt.content
    .replace(/<break[^>]*>/g, ' ')
    .replace(/<[^>]+>/g, '')
    .replace(/&(apos|quot|lt|gt|amp);/g, (_, name) => ENTITIES[name])
    .replace(/\s+/g, ' ')
    .trim();
}

/** The phone panel: one call at a time through the ACS Call Automation emulator's simulated caller. */
export function startPhone(config) {
  const log = document.getElementById('call-log');
  const state = document.getElementById('call-state');
  const input = document.getElementById('call-input');
  const sayButton = document.getElementById('call-say-button');
  const dial = document.getElementById('call-dial');
  const silence = document.getElementById('call-silence');
  const hangup = document.getElementById('call-hangup');
  const speak = document.getElementById('call-speak');
  const keypad = document.getElementById('keypad');
  let callId;
  let heard = 0;
  let said = [];
  let lastSignature = '';

  for (const key of KEYS) {
    keypad.append(
      el(
        'button',
        {
          type: 'button',
          class: 'key',
          disabled: true,
          'aria-label': `Key ${key}`,
          onclick: () => press(key),
        },
        key,
      ),
    );
  }

  function setActive(active) {
    for (const control of [input, sayButton, silence, hangup, ...keypad.querySelectorAll('button')]) {
      control.disabled = !active;
    }
    dial.disabled = active;
  }

  async function act(path, body) {
    if (!callId) return;
    try {
      await post(`/api/phone/calls/${encodeURIComponent(callId)}/${path}`, body);
    } catch (error) {
      log.append(el('li', { class: 'call-system', role: 'alert' }, error.message));
    }
  }

  function press(key) {
    said.push({ at: new Date().toISOString(), text: `[pressed ${key}]` });
    act('press', { keys: key });
  }

  dial.addEventListener('click', async () => {
    said = [];
    heard = 0;
    lastSignature = '';
    log.replaceChildren();
    try {
      const call = await post('/api/phone/calls', { from: config.customerPhone });
      callId = call.callConnectionId;
      setActive(true);
      input.focus();
    } catch (error) {
      log.append(el('li', { class: 'call-system', role: 'alert' }, `Could not call: ${error.message}`));
    }
  });
  document.getElementById('call-say').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    said.push({ at: new Date().toISOString(), text });
    act('say', { text });
  });
  silence.addEventListener('click', () => act('silence', { reason: 'silence' }));
  hangup.addEventListener('click', () => act('hang-up'));

  async function refresh() {
    if (!callId) return;
    const call = await api(`/api/phone/calls/${encodeURIComponent(callId)}`);
    state.textContent =
      call.pendingRecognize && call.state === 'connected'
        ? 'Connected · listening'
        : (STATES[call.state] ?? call.state);
    state.dataset.state = call.state;
    const prompts = call.played.map((prompt) => ({ at: prompt.at, text: spoken(prompt), from: 'agent' }));
    const signature = JSON.stringify([prompts.length, said.length, call.state]);
    if (signature !== lastSignature) {
      lastSignature = signature;
      const entries = [...prompts, ...said.map((s) => ({ ...s, from: 'caller' }))].sort((a, b) =>
        a.at.localeCompare(b.at),
      );
      log.replaceChildren(
        ...entries.map((entry) =>
          el(
            'li',
            { class: `call-line ${entry.from}`, dataset: { from: entry.from } },
            el('time', {}, clock(entry.at)),
            ` ${entry.text}`,
          ),
        ),
      );
      log.scrollTop = log.scrollHeight;
    }
    if (speak.checked && 'speechSynthesis' in window) {
      for (const prompt of prompts.slice(heard))
        window.speechSynthesis.speak(new SpeechSynthesisUtterance(prompt.text));
    }
    heard = prompts.length;
    if (call.state === 'disconnected') {
      setActive(false);
      callId = undefined;
    }
  }
  every(600, refresh);

  // The phone's SMS inbox: the web chat link of the SMS fallback lands here, as a link to open.
  const inbox = document.getElementById('sms-inbox');
  let smsSignature = '';
  async function refreshSms() {
    const { value } = await api(`/api/sms/${encodeURIComponent(config.customerPhone)}`);
    const signature = value.map((m) => m.messageId).join(',');
    if (signature === smsSignature) return;
    smsSignature = signature;
    inbox.replaceChildren(
      ...(value.length === 0
        ? [el('li', { class: 'muted' }, 'No text message yet.')]
        : value.map((m) =>
            el(
              'li',
              { class: 'sms', dataset: { messageId: m.messageId } },
              el('time', {}, clock(m.at)),
              ` ${m.from ?? ''}: `,
              ...linkified(m.text ?? ''),
            ),
          )),
    );
  }
  every(2000, refreshSms);
}

/** Text with its http(s) links as anchors (opened in a new tab). */
function linkified(text) {
  return text
    .split(/(https?:\/\/\S+)/)
    .map((part) =>
      /^https?:\/\//.test(part) ? el('a', { href: part, target: '_blank', rel: 'noopener' }, part) : part,
    );
}
