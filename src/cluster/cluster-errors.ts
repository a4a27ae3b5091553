/**
 * Why the cluster could not serve a request. The server maps each code to the error catalogue
 * entry of the same name (server/errors.ts).
 */
export type ClusterErrorCode =
  | 'no_leader'
  | 'no_quorum'
  | 'write_timeout'
  | 'leader_changed'
  | 'index_not_reached'
  | 'removed_member'
  | 'member_exists'
  | 'member_not_found'
  | 'not_caught_up'
  | 'change_in_progress'
  | 'invalid_member'
  | 'payload_too_large';

export class ClusterError extends Error {
  constructor(
    readonly code: ClusterErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
