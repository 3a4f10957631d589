// The room's history API (docs/protocol.md, GET /api/rooms/<slug>/messages/): one page of
// messages before or after a seq, or the newest page.

export class HistoryError extends Error {
  constructor(status) {
    super(`history answered ${status}`);
    this.status = status;
  }
}

// params: {before_seq, after_seq, limit}, any of them. Throws HistoryError for an answer
// that is not 2xx (401: signed out), or the fetch's own error when the network failed.
export async function fetchHistory(historyUrl, params) {
  const url = new URL(historyUrl, window.location.href);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, String(value));
  const response = await fetch(url, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (!response.ok) throw new HistoryError(response.status);
  return response.json();
}
