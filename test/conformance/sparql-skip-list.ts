/**
 * W3C SPARQL 1.1 tests (manifest.ttl) that cannot pass here in strict mode, each with why. The
 * conformance test fails if any other test fails, and also if a listed test starts passing (so
 * the list never hides a fixed bug). Keys are the harness's short ids.
 */
export const SPARQL_SKIP_LIST: Record<string, string> = {
  'sparql11/syntax-update-1#test_1': 'LOAD of a remote IRI (http://example.org/faraway): remote LOAD is off, and this machine has no network beyond loopback',
  'sparql11/syntax-update-1#test_2': 'LOAD of a remote IRI (http://example.org/faraway): remote LOAD is off, and this machine has no network beyond loopback',
  'sparql11/syntax-update-1#test_3': 'LOAD of a remote IRI (http://example.org/faraway): remote LOAD is off, and this machine has no network beyond loopback',
  'sparql11/syntax-update-1#test_4': 'LOAD of a remote IRI (http://example.org/faraway): remote LOAD is off, and this machine has no network beyond loopback',
  'sparql11/syntax-update-1#test_37': 'LOAD of a remote IRI (<remote> resolved against the base): remote LOAD is off, and this machine has no network beyond loopback',
  'sparql11/cast#cast-decimal':
    'the expected results contradict each other: xsd:decimal(0) is written "0" but xsd:decimal(1) "1.0" (and xsd:decimal(0.0) "0.0"); no single way of writing decimals passes',
  'sparql11/cast#cast-double':
    'the expected results contradict each other: xsd:double("0.0") is written "0E0" but xsd:double(0E1) "0.0"; no single way of writing doubles passes',
  'sparql11/cast#cast-float':
    'the expected results contradict each other in the same way as cast-double ("0E0" for one zero, "0" and "0.0" for others); no single way of writing floats passes',
  'sparql11/aggregates#agg-sum-distinct':
    'expects the double sum written "2100", while agg-sum-02, agg-avg-02 and agg-err-02 expect doubles in exponent form ("3.21E4", "4.0E-1", "2.5E0"); we write doubles the way those three expect',
  'sparql11/aggregates#agg-avg-distinct':
    'expects the double average written "1050", contradicting agg-sum-02, agg-avg-02 and agg-err-02 (exponent form), which pass',
  'sparql11/csv-tsv-res#tsv03':
    'the expected result writes the double as 1.0e6 while the data has "1.0E6"^^xsd:double; a store that keeps lexical forms (strict mode) returns 1.0E6',
};
