/** Counts of one entity as the Service Bus emulator's inspection API reports them. */
export interface EntityCountsView {
  path: string;
  active: number;
  deadLetter: number;
  scheduled: number;
}

/** The counts of `path` (e.g. `inbound-messages/Subscriptions/whatsapp-adapter`), through `GET /entities`. */
export async function entityCounts(httpUrl: string, path: string): Promise<EntityCountsView> {
  const response = await fetch(`${httpUrl}/entities`);
  const page = (await response.json()) as { entities: EntityCountsView[] };
  const row = page.entities.find((entity) => entity.path.toLowerCase() === path.toLowerCase());
  if (row === undefined) throw new Error(`no entity ${path}`);
  return row;
}

/** Every message the emulator holds (active, dead-lettered, scheduled) over all its entities. */
export async function busTotal(httpUrl: string): Promise<number> {
  const response = await fetch(`${httpUrl}/entities`);
  const page = (await response.json()) as { entities: EntityCountsView[] };
  return page.entities.reduce((sum, e) => sum + e.active + e.deadLetter + e.scheduled, 0);
}

/** Up to `limit` (<= 1000) messages of `path` with their ids and JSON bodies, through a peek that locks nothing. */
export async function peekMessages(
  httpUrl: string,
  path: string,
  options: { state?: 'active' | 'deadletter'; limit?: number } = {},
): Promise<{ messageId?: string; sessionId?: string; body?: unknown }[]> {
  const query = `state=${options.state ?? 'active'}&limit=${options.limit ?? 1000}`;
  const response = await fetch(`${httpUrl}/entities/${encodeURIComponent(path)}/messages?${query}`);
  const page = (await response.json()) as {
    messages: { messageId?: string; sessionId?: string; body?: unknown }[];
  };
  return page.messages;
}

/** Drops every message of the emulator (entities stay). */
export async function resetBus(httpUrl: string): Promise<void> {
  await fetch(`${httpUrl}/reset`, { method: 'POST' });
}
