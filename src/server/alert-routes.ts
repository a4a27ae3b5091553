/**
 * `GET /alerts`: the alerts firing on this node now, in the shape of the metrics contract
 * (`{"alerts":[{id, rule, severity, state, since, summary, labels}]}`), most severe first.
 * Pending alerts (condition holding, for-duration not yet reached) are not listed.
 */
import type { FastifyInstance } from 'fastify';
import type { Alert } from '../ops/alerting/alert-types.ts';

export interface AlertSource {
  activeAlerts(): Alert[];
}

export function registerAlertRoutes(app: FastifyInstance, options: { alerts: AlertSource }): void {
  app.get('/alerts', { config: { role: 'read' } }, async () => ({ alerts: options.alerts.activeAlerts() }));
}
