/** Delivers Event Grid events the way Event Grid does: POST, retried on 408, 429, 5xx and network errors. */
export async function deliverEvents(
  url: string,
  events: readonly unknown[],
  options: { maxAttempts?: number; backoffMs?: number } = {},
): Promise<{ status: number; attempts: number }> {
  const maxAttempts = options.maxAttempts ?? 30;
  let status = 0;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
        body: JSON.stringify(events),
      });
      status = response.status;
      await response.arrayBuffer();
      if (status < 500 && status !== 408 && status !== 429) return { status, attempts: attempt };
    } catch {
      status = 0;
    }
    await new Promise((resolve) => setTimeout(resolve, (options.backoffMs ?? 100) * Math.min(attempt, 5)));
  }
  return { status, attempts: maxAttempts };
}

/** Runs `work` over `items` with at most `limit` at once. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index] as T, index);
      }
    }),
  );
}
