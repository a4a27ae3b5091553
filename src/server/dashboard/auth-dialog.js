// @ts-check
/**
 * The sign-in dialog: opened on the first 401 any request gets (a node started with --auth), it
 * takes a user and password (Basic) or a token (Bearer) and hands them to the HTTP client, which
 * sends them on every later request. A refused credential opens it again, saying so.
 */
import { basicAuthorization, bearerAuthorization, hasAuthorization, onUnauthorized, setAuthorization } from './http-client.js';

/** @param {string} selector @returns {HTMLElement} */
function element(selector) {
  const found = document.querySelector(selector);
  if (!(found instanceof HTMLElement)) throw new Error(`the page has no ${selector}`);
  return found;
}

export function installAuthDialog() {
  const dialog = /** @type {HTMLDialogElement} */ (element('#auth-dialog'));
  const form = /** @type {HTMLFormElement} */ (element('#auth-form'));
  const reason = element('#auth-reason');
  const signOut = /** @type {HTMLButtonElement} */ (element('#sign-out'));
  const showScheme = () => {
    const scheme = new FormData(form).get('scheme');
    element('#auth-basic').hidden = scheme !== 'basic';
    element('#auth-bearer').hidden = scheme !== 'bearer';
  };
  form.addEventListener('change', showScheme);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const value =
      data.get('scheme') === 'bearer' ? bearerAuthorization(String(data.get('token') ?? '')) : basicAuthorization(String(data.get('user') ?? ''), String(data.get('password') ?? ''));
    setAuthorization(value);
    form.reset();
    showScheme();
    signOut.hidden = false;
    dialog.close();
  });
  signOut.hidden = !hasAuthorization();
  signOut.addEventListener('click', () => {
    setAuthorization(null);
    signOut.hidden = true;
  });
  onUnauthorized(() => {
    if (dialog.open) return;
    reason.textContent = hasAuthorization() ? 'The server refused these credentials.' : 'This node needs credentials (it runs with --auth).';
    dialog.showModal();
  });
}
