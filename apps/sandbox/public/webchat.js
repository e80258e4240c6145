/** Shows `url` (the web chat page, maybe with a `?handoff=` token) in the Web chat panel. */
export function openWebChat(url, { show = true } = {}) {
  const frame = document.getElementById('webchat-frame');
  frame.src = url;
  document.getElementById('webchat-open').href = url;
  if (show) location.hash = '#webchat';
}
