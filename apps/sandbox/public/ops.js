import { drawLines } from './chart.js';
import { estimateWithAge } from './estimate.js';
import { api, clock, el, every, post } from './ui.js';

const FUNNEL = ['accepted', 'dispatched', 'delivered', 'completed', 'expired', 'failed', 'rejected'];
const seconds = (s) => (s >= 90 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

/** The ops console: queues over time, staffing, load, handoff funnel, dead letters and one customer's timeline. */
export function startOps(config) {
  const samples = new Map(); // queue -> [{ t, depth, ewt }]
  let latestCustomer = '';
  let shownCustomerId = '';

  async function refreshQueues() {
    const { queues } = await api('/api/ops/queues');
    const tbody = document.getElementById('ops-queues');
    if (queues.length > 0) {
      tbody.replaceChildren(
        ...queues.map((q) =>
          el(
            'tr',
            { dataset: { queue: q.queue, level: q.level } },
            el('th', { scope: 'row' }, q.queue),
            el(
              'td',
              {},
              el('span', { class: `level ${q.level}` }, q.massEvent ? `${q.level} · mass event` : q.level),
            ),
            el('td', { dataset: { field: 'depth' } }, String(q.depth)),
            el('td', {}, seconds(q.longestWaitSeconds)),
            el('td', {
              title: `${seconds(q.estimatedWaitSeconds)} (naive estimate: ${seconds(q.naiveEstimatedWaitSeconds)})`,
              dataset: { field: 'estimate', seconds: String(q.estimatedWaitSeconds), at: q.at },
            }),
            el('td', {}, `${q.availableAgents} / ${q.staffedAgents}`),
            el(
              'td',
              { dataset: { field: 'service-level', abandoned: String(q.serviceLevel?.abandoned ?? 0) } },
              q.serviceLevel
                ? `${q.serviceLevel.answered} answered · ${q.serviceLevel.abandoned} abandoned`
                : '–',
            ),
          ),
        ),
      );
    }
    showEstimateAges();
    const now = Date.now();
    for (const q of queues) {
      const list = samples.get(q.queue) ?? [];
      list.push({ t: now, depth: q.depth, ewt: q.estimatedWaitSeconds });
      while (list.length > 0 && list[0].t < now - 300_000) list.shift();
      samples.set(q.queue, list);
    }
    const focus = samples.get(config.queue) ?? [...samples.values()][0] ?? [];
    drawLines(
      document.getElementById('ops-chart'),
      [
        { className: 'depth', points: focus.map((s) => ({ t: s.t, v: s.depth })) },
        { className: 'ewt', points: focus.map((s) => ({ t: s.t, v: s.ewt })), format: seconds },
      ],
      { now },
    );
  }

  /**
   * The estimate as callers hear it, with its age ("about 10 min, as of 12 s ago"), re-aged every second even when
   * the router stops answering: an old figure says so, and is marked stale past what the phone would quote.
   */
  function showEstimateAges() {
    const now = Date.now();
    for (const cell of document.querySelectorAll('#ops-queues [data-field="estimate"]')) {
      const { text, stale } = estimateWithAge(Number(cell.dataset.seconds), cell.dataset.at, now);
      cell.textContent = text;
      cell.classList.toggle('stale', stale);
    }
  }

  async function refreshAgents() {
    const { agents } = await api('/api/ops/agents');
    const desks = await Promise.all(
      agents.map((agent) =>
        api(`/api/ops/agents/${encodeURIComponent(agent.agentId)}/assignments`).then(
          ({ assignments }) => assignments.at(-1),
          () => undefined,
        ),
      ),
    );
    const list = document.getElementById('ops-agents');
    list.replaceChildren(
      ...agents.map((agent, index) => {
        const available = agent.status === 'available';
        const latest = desks[index];
        return el(
          'li',
          { dataset: { agent: agent.agentId, status: agent.status } },
          el(
            'div',
            { class: 'agent-row' },
            el('span', { class: `dot ${agent.status}`, 'aria-hidden': 'true' }),
            el('span', { class: 'agent-name' }, agent.agentId),
            el(
              'span',
              { class: 'muted' },
              ` ${agent.status}${agent.queues ? ` · ${agent.queues.join(', ')}` : ''}`,
            ),
            el(
              'button',
              {
                type: 'button',
                class: 'secondary small',
                'aria-pressed': String(available),
                onclick: () => setAgent(agent.agentId, available ? 'offline' : 'available', agent.queues),
              },
              available ? 'Sign out' : 'Make available',
            ),
          ),
          latest
            ? el(
                'div',
                { class: 'desk', dataset: { testid: 'agent-desk' } },
                el(
                  'div',
                  { class: 'muted' },
                  `Taking: ${latest.kind} from ${latest.channel ?? 'voice'} · waited ${Math.round(latest.waitSeconds)} s`,
                ),
                latest.summary ? el('div', { class: 'summary' }, latest.summary) : null,
                latest.collectedData && Object.keys(latest.collectedData).length > 0
                  ? el(
                      'div',
                      { class: 'muted' },
                      Object.entries(latest.collectedData)
                        .map(([k, v]) => `${k}: ${v}`)
                        .join(' · '),
                    )
                  : null,
                latest.lastTurns && latest.lastTurns.length > 0
                  ? el(
                      'ol',
                      { class: 'desk-turns', dataset: { testid: 'desk-turns' } },
                      ...latest.lastTurns.map((t) =>
                        el(
                          'li',
                          { class: `turn ${t.channel} ${t.role}` },
                          `${t.channel} · ${t.role}: ${t.text}`,
                        ),
                      ),
                    )
                  : null,
              )
            : null,
        );
      }),
    );
    if (agents.length === 0) list.replaceChildren(el('li', { class: 'muted' }, 'No agent has signed in.'));
  }

  async function setAgent(agentId, status, queues = [config.queue]) {
    await api(`/api/ops/agents/${encodeURIComponent(agentId)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status, queues }),
    });
    await refreshAgents();
  }

  async function refreshFunnel() {
    const metrics = await api('/api/ops/metrics/handoffs');
    const funnel = document.getElementById('ops-funnel');
    const top = Math.max(1, metrics.funnel.accepted);
    funnel.replaceChildren(
      ...FUNNEL.flatMap((stage) => [
        el('dt', {}, stage),
        el(
          'dd',
          { dataset: { stage } },
          el('span', { class: `bar ${stage}`, style: `width:${(100 * metrics.funnel[stage]) / top}%` }),
          el('span', { class: 'count' }, String(metrics.funnel[stage])),
        ),
      ]),
    );
    const { p50, p95, count } = metrics.switchLatencyMs;
    document.getElementById('ops-latency').textContent =
      count === 0
        ? 'No completed switch yet.'
        : `Switch latency over ${count}: p50 ${seconds(p50 / 1000)}, p95 ${seconds(p95 / 1000)}.`;
    const stranded = document.getElementById('ops-stranded');
    stranded.className = metrics.stranded > 0 ? 'down' : 'muted';
    stranded.textContent =
      metrics.stranded > 0
        ? `${metrics.stranded} customer stranded: no channel reached them; a callback is queued for a human.`
        : 'No customer stranded.';
  }

  /**
   * Sends dead letters back to the queue / subscription they came from (only that one, same message id), after a
   * confirmation: one message, or every one of an entity.
   */
  async function redrive(entity, selection, what) {
    if (!window.confirm(`Redrive ${what} of ${entity}? Its handler runs again.`)) return;
    const status = document.getElementById('ops-dlq-status');
    const result = await post('/api/ops/dead-letters/redrive', { entity, ...selection });
    status.textContent =
      `${result.redriven} redriven to ${entity}.` +
      (result.tooRecent > 0
        ? ` ${result.tooRecent} left: inside the duplicate-detection window, try again in ${seconds(result.retryAfterSeconds ?? 0)}.`
        : '');
    await refreshDeadLetters();
  }

  async function refreshDeadLetters() {
    // The channel-router's dead-letter view: reason, age and event type per message, never its body.
    const { entities } = await api('/api/ops/dead-letters');
    const list = document.getElementById('ops-dlq');
    const rows = entities.filter((e) => e.count > 0);
    const total = rows.reduce((sum, e) => sum + e.count, 0);
    const button = (label, onclick) =>
      el('button', { type: 'button', class: 'secondary small', onclick }, label);
    const failed = (error) => {
      document.getElementById('ops-dlq-status').textContent = error.message;
    };
    list.replaceChildren(
      el(
        'li',
        { class: total > 0 ? 'down' : 'ready' },
        total > 0 ? `${total} dead-lettered` : 'None: nothing was lost.',
      ),
      ...rows.flatMap((e) => [
        el(
          'li',
          { dataset: { entity: e.entity } },
          el('strong', {}, `${e.entity}: ${e.count}`),
          ' ',
          button('Redrive all', () => redrive(e.entity, { all: true }, `all ${e.count}`).catch(failed)),
        ),
        ...e.messages.slice(0, 5).map((m) =>
          el(
            'li',
            { class: 'muted', dataset: { messageId: m.messageId } },
            `${m.eventType} · ${m.reason}${m.ageSeconds === null ? '' : ` · ${seconds(m.ageSeconds)} ago`} `,
            button('Redrive', () =>
              redrive(e.entity, { messageIds: [m.messageId] }, `${m.eventType} ${m.messageId}`).catch(failed),
            ),
          ),
        ),
      ]),
    );
  }

  async function refreshTimeline() {
    const { handoffs } = await api('/api/ops/handoffs');
    const select = document.getElementById('timeline-customer');
    const customers = [...new Set(handoffs.map((h) => h.customerId))];
    const current = select.value;
    select.replaceChildren(
      el('option', { value: '' }, "the latest handoff's customer"),
      ...customers.map((id) => el('option', { value: id, selected: id === current }, id)),
    );
    const customerId = current || customers[0];
    if (!customerId) {
      document
        .getElementById('ops-timeline')
        .replaceChildren(el('li', { class: 'muted' }, 'No handoff yet.'));
      return;
    }
    shownCustomerId = customerId;
    const timeline = await api(`/api/ops/customers/${encodeURIComponent(customerId)}/timeline`);
    const signature = JSON.stringify(timeline);
    if (signature === latestCustomer) return;
    latestCustomer = signature;
    const c = timeline.customer;
    document
      .getElementById('ops-customer')
      .replaceChildren(
        el(
          'p',
          {},
          el('strong', {}, c.displayName ?? c.customerId),
          ` · channels: ${c.channels.join(', ') || 'none yet'} · identities: ${c.identities.join(', ')}`,
        ),
        c.summary ? el('p', { class: 'summary' }, `Summary: ${c.summary}`) : null,
      );
    const strandedIds = new Set(timeline.handoffs.filter((h) => h.stranded).map((h) => h.handoffId));
    document.getElementById('ops-timeline').replaceChildren(
      ...timeline.entries.map((entry) => {
        if (entry.kind === 'turn') {
          return el(
            'li',
            { class: `turn ${entry.channel} ${entry.role}` },
            el('time', {}, clock(entry.at)),
            el('span', { class: `chip ${entry.channel}` }, entry.channel),
            ` ${entry.role}: ${entry.text}`,
          );
        }
        if (entry.kind === 'handoff') {
          return el(
            'li',
            { class: 'handoff' },
            el('time', {}, clock(entry.at)),
            el('span', { class: 'chip handoff' }, 'handoff'),
            ` ${entry.status} → ${entry.toChannel}`,
            strandedIds.has(entry.handoffId) && ['failed', 'expired'].includes(entry.status)
              ? el('strong', { class: 'down' }, ' · customer stranded')
              : null,
          );
        }
        return el(
          'li',
          { class: 'session' },
          el('time', {}, clock(entry.at)),
          el('span', { class: `chip ${entry.channel}` }, entry.channel),
          ` session ${entry.status}`,
          entry.assurance
            ? el(
                'span',
                { class: `assurance ${entry.assurance}`, title: entry.assuranceMethod ?? '' },
                ` · identity: ${entry.assurance}${entry.assuranceMethod ? ` (${entry.assuranceMethod})` : ''}`,
              )
            : null,
        );
      }),
    );
  }

  document.getElementById('agent-add').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = document.getElementById('agent-name');
    setAgent(input.value.trim(), 'available').then(() => {
      input.value = '';
    });
  });
  // Privacy: export downloads the JSON document; erase is destructive, so the operator types the id back first.
  const privacyStatus = document.getElementById('privacy-status');
  document.getElementById('customer-export').addEventListener('click', async () => {
    const customerId = shownCustomerId;
    if (!customerId) return;
    try {
      const exported = await api(`/api/ops/customers/${encodeURIComponent(customerId)}/export`);
      const link = el('a', {
        href: URL.createObjectURL(
          new Blob([JSON.stringify(exported, null, 2)], { type: 'application/json' }),
        ),
        download: `customer-${customerId}.json`,
      });
      link.click();
      URL.revokeObjectURL(link.href);
      privacyStatus.textContent = `Export of ${customerId} downloaded.`;
    } catch (error) {
      privacyStatus.textContent = error.message;
    }
  });
  document.getElementById('customer-erase').addEventListener('click', async () => {
    const customerId = shownCustomerId;
    if (!customerId) return;
    const typed = window.prompt(
      `Erase customer ${customerId} from every store (Cosmos, Foundry, Redis, Service Bus)? This cannot be undone.\nType the customer id to confirm:`,
    );
    if (typed?.trim() !== customerId) {
      privacyStatus.textContent = 'Not erased.';
      return;
    }
    try {
      const { erasure } = await api(`/api/ops/customers/${encodeURIComponent(customerId)}`, {
        method: 'DELETE',
      });
      privacyStatus.textContent = `Customer erased (${erasure.status}, audit ${erasure.id.slice(0, 20)}…).`;
      latestCustomer = '';
    } catch (error) {
      privacyStatus.textContent = error.message;
    }
  });
  document.getElementById('timeline-customer').addEventListener('change', () => {
    latestCustomer = '';
    refreshTimeline();
  });
  const loadStatus = document.getElementById('load-status');
  if (config.simulators.load) {
    document.getElementById('load-add').addEventListener('click', async () => {
      const { waiting } = await post('/api/load', { count: 10 });
      loadStatus.textContent = `${waiting} simulated callers waiting in ${config.queue}.`;
    });
    document.getElementById('load-clear').addEventListener('click', async () => {
      const { cleared } = await api('/api/load', { method: 'DELETE' });
      loadStatus.textContent = `${cleared} simulated callers hung up.`;
    });
  } else {
    document.getElementById('ops-load').hidden = true;
  }

  const onError = (error) => {
    loadStatus.textContent = error.message;
  };
  every(1000, refreshQueues, onError);
  every(1000, showEstimateAges);
  every(2000, refreshAgents, onError);
  every(2000, refreshFunnel, onError);
  every(3000, refreshDeadLetters, onError);
  every(2000, refreshTimeline, onError);
}
