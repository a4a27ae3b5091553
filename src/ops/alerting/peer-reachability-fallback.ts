/**
 * STOPGAP until the metrics of issue 6 are merged: `oxirs_raft_peer_reachable{peer}` (0|1, on the
 * leader only, as the metrics contract says) computed from the node's own status, in a PRIVATE
 * registry that the alert rules read after the default one. It is never registered in the
 * default registry, so it can neither collide with the real metric nor appear in `GET /metrics`;
 * once the real metric exists the MetricSource finds it first and this one goes unused (and can
 * be deleted).
 */
import { Gauge, Registry } from 'prom-client';
import type { ClusterStatus } from '../../cluster/cluster-node.ts';

export function peerReachabilityFallback(status: () => ClusterStatus): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'oxirs_raft_peer_reachable',
    help: 'Whether the leader has a live connection to the peer (1) or not (0); absent on non-leaders.',
    labelNames: ['peer'],
    registers: [registry],
    collect() {
      this.reset();
      const current = status();
      if (current.role !== 'leader') return;
      for (const member of current.members) if (member.id !== current.nodeId) this.set({ peer: member.id }, member.reachable ? 1 : 0);
    },
  });
  return registry;
}
