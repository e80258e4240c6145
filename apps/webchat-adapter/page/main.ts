/// <reference lib="dom" />
/**
 * The web chat page's script (bundled by esbuild): asks the adapter for a user-bound Direct Line token
 * (redeeming `?handoff=` when present) and renders BotFramework-WebChat with it. WebChat itself is npm's
 * prebuilt `botframework-webchat/dist/webchat.js`, served by the adapter next to this script (no CDN). A
 * refused handoff link is shown in an alert, with a way to start a fresh chat instead.
 */

/** The part of WebChat's global (`window.WebChat`) the page uses. */
interface WebChatGlobal {
  createDirectLine(options: { token: string; domain?: string }): unknown;
  renderWebChat(props: Record<string, unknown>, element: HTMLElement): void;
}

declare global {
  interface Window {
    WebChat?: WebChatGlobal;
  }
}

interface TokenResponse {
  token: string;
  domain: string;
  userId: string;
  conversationId: string;
  handoff?: { customerName?: string };
}

interface ProblemResponse {
  title?: string;
  detail?: string;
}

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`#${id} is missing from the page`);
  return found;
}

function showProblem(message: string, offerFreshStart: boolean): void {
  const problem = element('problem');
  problem.hidden = false;
  problem.replaceChildren();
  const text = document.createElement('p');
  text.textContent = message;
  problem.append(text);
  if (offerFreshStart) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Start a new chat';
    button.addEventListener('click', () => {
      window.location.assign(window.location.pathname);
    });
    problem.append(button);
    button.focus();
  }
  element('status').textContent = '';
}

async function start(): Promise<void> {
  const status = element('status');
  const params = new URLSearchParams(window.location.search);
  const handoff = params.get('handoff');
  let response: Response;
  try {
    // A POST from this page only: the server refuses cross-site requests and never redeems a link on a GET.
    response = await fetch('/api/directline/token', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(handoff === null ? {} : { handoff }),
    });
  } catch {
    showProblem('We could not reach the chat service. Check your connection and reload the page.', false);
    return;
  }
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as ProblemResponse;
    showProblem(problem.detail ?? problem.title ?? 'The chat could not be started.', handoff !== null);
    return;
  }
  const session = (await response.json()) as TokenResponse;
  // The link is single use: drop it from the address bar so a reload does not replay it.
  if (handoff !== null) window.history.replaceState(null, '', window.location.pathname);
  const webChat = window.WebChat;
  if (webChat === undefined) {
    showProblem('The chat could not be loaded. Please reload the page.', false);
    return;
  }
  webChat.renderWebChat(
    {
      directLine: webChat.createDirectLine({ token: session.token, domain: session.domain }),
      locale: document.documentElement.lang || 'en-US',
      styleOptions: {
        accent: '#0b5cad',
        bubbleBackground: '#f3f6fa',
        bubbleFromUserBackground: '#0b5cad',
        bubbleFromUserTextColor: '#ffffff',
        primaryFont: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        sendBoxTextWrap: true,
        hideUploadButton: true,
      },
    },
    element('webchat'),
  );
  status.textContent = 'Connected. Type your message below.';
}

void start();

export {};
