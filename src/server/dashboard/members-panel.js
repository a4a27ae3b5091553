// @ts-check
/**
 * The members table and the cluster summary, from GET /cluster/overview: the leader's view of
 * every member (any node answers it), or the answering node's own view when it knows no leader
 * or the leader did not answer, which the notice above the table then says. A member the leader
 * cannot reach is marked unreachable in red, in words as well as colour.
 */

/**
 * @typedef {{ id: string, raftAddr: string | null, voter: boolean, matchIndex: number | null, lagEntries: number | null, reachable: boolean }} MemberStatus
 * @typedef {{ nodeId: string, role: string, term: number, leaderId: string | null, commitIndex: number, appliedIndex: number,
 *   members: MemberStatus[], answeredBy: string, leaderKnown: boolean, leaderError?: string }} ClusterOverview
 */

/** @param {string} tag @param {string} text @param {string} [className] */
function cell(tag, text, className) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

/** @param {ClusterOverview} overview @param {MemberStatus} member */
function roleOf(overview, member) {
  if (member.id === overview.nodeId) return overview.role;
  if (member.id === overview.leaderId) return 'leader';
  return member.voter ? 'follower' : 'learner';
}

/** @param {number | null} value */
const orDash = (value) => (value === null ? '–' : String(value));

export class MembersPanel {
  constructor() {
    this.summary = /** @type {HTMLElement} */ (document.querySelector('#cluster-summary'));
    this.notice = /** @type {HTMLElement} */ (document.querySelector('#cluster-notice'));
    this.body = /** @type {HTMLElement} */ (document.querySelector('#members tbody'));
    this.table = /** @type {HTMLElement} */ (document.querySelector('#members'));
  }

  /** @param {ClusterOverview} overview */
  show(overview) {
    const leaderView = overview.leaderKnown && overview.nodeId === overview.leaderId;
    this.table.classList.remove('stale');
    this.summary.textContent = [
      overview.leaderId ? `leader ${overview.leaderId}` : 'no leader',
      `term ${overview.term}`,
      `commit index ${overview.commitIndex}`,
      `applied index ${overview.appliedIndex} (on ${overview.nodeId})`,
      `answered by ${overview.answeredBy}`,
    ].join(' · ');
    if (!overview.leaderKnown) this.setNotice(`No leader is known: this is ${overview.nodeId}'s own view of the cluster.`);
    else if (overview.leaderError) this.setNotice(overview.leaderError);
    else this.setNotice(leaderView ? null : `This is ${overview.nodeId}'s view.`);
    this.body.replaceChildren(
      ...overview.members.map((member) => {
        const row = document.createElement('tr');
        row.dataset.member = member.id;
        const role = roleOf(overview, member);
        row.className = `role-${role}${member.reachable ? '' : ' unreachable'}`;
        row.append(
          cell('td', member.id, 'member-id'),
          cell('td', role, 'role'),
          cell('td', member.raftAddr ?? '–'),
          cell('td', orDash(member.matchIndex), 'number'),
          cell('td', orDash(member.lagEntries), 'number'),
          cell('td', member.reachable ? '● reachable' : '● unreachable', member.reachable ? 'reachable' : 'reachability-lost'),
        );
        return row;
      }),
    );
  }

  /**
   * The node serving the page did not answer: keep the last table, greyed, and say why.
   * @param {string} reason
   */
  showFailure(reason) {
    this.table.classList.add('stale');
    this.setNotice(`GET /cluster/overview failed: ${reason}`);
  }

  /** @param {string | null} text */
  setNotice(text) {
    this.notice.hidden = text === null;
    this.notice.textContent = text ?? '';
  }
}
