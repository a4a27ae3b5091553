/**
 * The one catalogue of errors a client can see. Each has a stable code (never reused for another
 * meaning), an HTTP status and a message. The body is always
 * `{"error":{"code","message",...details}}`. docs/errors.md lists the same codes; a test keeps
 * the two in sync.
 */
export const ERRORS = {
  bad_request: { status: 400, message: 'The request is malformed.' },
  rdf_syntax: { status: 400, message: 'The RDF payload has a syntax error.' },
  sparql_syntax: { status: 400, message: 'The query or update has a syntax error.' },
  sparql_invalid: { status: 400, message: 'The query or update breaks a rule of SPARQL 1.1 or uses an unsupported feature.' },
  update_failed: { status: 400, message: 'The update cannot be carried out; nothing was changed.' },
  query_too_large: { status: 400, message: 'The query needs more memory than a query may use.' },
  missing_graph_parameter: { status: 400, message: 'Use exactly one of ?default or ?graph=IRI.' },
  invalid_graph_iri: { status: 400, message: 'The graph parameter is not an absolute IRI.' },
  triples_only: { status: 400, message: 'This format carries quads; a single graph takes triples only.' },
  unauthenticated: { status: 401, message: 'Credentials are missing or wrong.' },
  forbidden: { status: 403, message: 'Your role does not allow this.' },
  graph_not_found: { status: 404, message: 'No such graph.' },
  not_found: { status: 404, message: 'No such resource.' },
  method_not_allowed: { status: 405, message: 'This method is not allowed here.' },
  not_acceptable: { status: 406, message: 'None of the media types in Accept can be produced.' },
  payload_too_large: { status: 413, message: 'The request body is larger than the server accepts.' },
  unsupported_media_type: { status: 415, message: 'The Content-Type is not supported here.' },
  header_too_large: { status: 431, message: 'The request headers are larger than the server accepts.' },
  member_not_found: { status: 404, message: 'No such cluster member.' },
  member_exists: { status: 409, message: 'That member is already in the cluster.' },
  not_caught_up: { status: 409, message: 'The member is too far behind the leader to be promoted yet.' },
  change_in_progress: { status: 409, message: 'Another membership change is still being applied.' },
  invalid_member: { status: 400, message: 'The member id or Raft address is invalid.' },
  internal: { status: 500, message: 'An internal error occurred; it is logged.' },
  query_timeout: { status: 503, message: 'The query ran past its timeout and was stopped.' },
  shutting_down: { status: 503, message: 'The server is shutting down.' },
  no_leader: { status: 503, message: 'No leader is known right now.' },
  no_quorum: { status: 503, message: 'No quorum of the cluster answered in time.' },
  write_timeout: { status: 503, message: 'The write was not applied in time; it may still be.' },
  leader_changed: { status: 503, message: 'The leader changed while the write was in flight; it may or may not have been applied.' },
  index_not_reached: { status: 503, message: 'This node has not applied the requested log index in time.' },
  removed_member: { status: 503, message: 'This node is no longer a member of the cluster.' },
  backup_not_configured: { status: 409, message: 'This node has no backup target configured.' },
  backup_not_found: { status: 404, message: 'No such backup in the target.' },
  backup_corrupt: { status: 409, message: 'A backup file does not match its manifest.' },
  backup_log_compacted: { status: 409, message: 'The log entries since the last backup were compacted away; take a full backup.' },
  backup_chain_broken: { status: 409, message: 'The backup cannot continue the previous one; take a full backup.' },
  backup_in_progress: { status: 409, message: 'A backup of this node is running.' },
  backup_behind: { status: 503, message: 'This member has not applied far enough to serve that backup.' },
  backup_target_error: { status: 502, message: 'The backup target failed.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An error meant for the client: its code decides the status; `details` join the JSON body. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message ?? ERRORS[code].message);
    this.status = ERRORS[code].status;
  }

  body(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}
