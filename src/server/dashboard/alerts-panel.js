// @ts-check
/**
 * Active alerts from GET /alerts (`{"alerts":[{id, rule, severity, state, since, summary,
 * labels}]}`). A node without alerting answers 404: the panel says "alerting not available"
 * rather than "no alerts", which would be a claim it cannot make.
 */

/**
 * @typedef {{ id: string, rule: string, severity: string, state: string, since: string, summary: string }} Alert
 */

export class AlertsPanel {
  constructor() {
    this.list = /** @type {HTMLElement} */ (document.querySelector('#alerts'));
  }

  /** @param {Alert[]} alerts */
  show(alerts) {
    if (alerts.length === 0) {
      this.showMessage('No active alerts.');
      return;
    }
    const now = Date.now();
    this.list.replaceChildren(
      ...alerts.map((alert) => {
        const item = document.createElement('li');
        item.className = `alert severity-${alert.severity}`;
        item.dataset.alert = alert.id;
        const severity = document.createElement('span');
        severity.className = 'severity';
        severity.textContent = alert.severity;
        const summary = document.createElement('span');
        summary.textContent = ` ${alert.summary} `;
        const since = document.createElement('span');
        since.className = 'muted';
        const seconds = Math.max(0, Math.round((now - Date.parse(alert.since)) / 1000));
        since.textContent = Number.isFinite(seconds) ? `(${alert.rule}, for ${seconds} s)` : `(${alert.rule})`;
        item.append(severity, summary, since);
        return item;
      }),
    );
  }

  /** @param {string} text */
  showMessage(text) {
    const item = document.createElement('li');
    item.className = 'muted';
    item.textContent = text;
    this.list.replaceChildren(item);
  }
}
