/** The pattern scans both stores run in the store benchmark (IRIs from dataset.ts). */
export interface ScanPattern {
  name: string;
  subject?: string;
  predicate?: string;
  object?: string;
  /** Repeat small scans so that each takes a measurable time. */
  rounds: number;
}

export const SCAN_PATTERNS: ScanPattern[] = [
  { name: '?s ?p ?o (all)', rounds: 1 },
  { name: '?s knows ?o', predicate: 'http://example.org/knows', rounds: 1 },
  { name: '?s worksFor org/7', predicate: 'http://example.org/worksFor', object: 'http://example.org/org/7', rounds: 200 },
  { name: 'person/4242 ?p ?o', subject: 'http://example.org/person/4242', rounds: 2000 },
];
