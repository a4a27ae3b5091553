// The structured `backup` config key: every mistake is a ConfigError naming the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBackupConfig } from './backup-config.ts';
import { ConfigError } from './node-config.ts';

test('a full backup config parses, with S3 settings from the environment', () => {
  const config = parseBackupConfig(
    { target: 's3://bucket/prefix', s3: { region: 'eu-west-1' }, schedule: { fullEveryMs: 86_400_000, incrementalEveryMs: 900_000 }, retention: { keepLast: 3, daily: 7 } },
    { OXIRS_S3_ENDPOINT: 'http://127.0.0.1:9000', OXIRS_S3_FORCE_PATH_STYLE: 'true' },
  );
  assert.deepEqual(config.s3, { endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', forcePathStyle: true, accessKeyId: undefined, secretAccessKey: undefined });
  assert.deepEqual(config.schedule, { fullEveryMs: 86_400_000, incrementalEveryMs: 900_000 });
  assert.deepEqual(config.retention, { keepLast: 3, daily: 7 });
  assert.equal(parseBackupConfig({ target: '/var/backups' }, {}).schedule, undefined);
});

test('mistakes are ConfigErrors naming the key', () => {
  const cases: Array<[unknown, RegExp]> = [
    ['s3://b/p', /"backup" must be an object/],
    [{}, /backup\.target is required/],
    [{ target: 's3://Bad_Bucket' }, /backup\.target: .*not an S3 bucket name/],
    [{ target: '/x', extra: 1 }, /unknown key "extra"/],
    [{ target: '/x', s3: { forcePathStyle: 'yes' } }, /forcePathStyle must be true or false/],
    [{ target: '/x', s3: { accessKeyId: 'a' } }, /go together/],
    [{ target: '/x', schedule: {} }, /needs fullEveryMs or incrementalEveryMs/],
    [{ target: '/x', schedule: { fullEveryMs: 10 } }, /fullEveryMs must be an integer of at least 1000/],
    [{ target: '/x', retention: { keepLast: -1 } }, /keepLast must be an integer of at least 0/],
    [{ target: '/x', retention: { keepLast: 0 } }, /would keep no backup/],
    [{ target: '/x', retention: { hourly: 3 } }, /unknown key "hourly"/],
  ];
  for (const [value, message] of cases) assert.throws(() => parseBackupConfig(value, {}), (error: Error) => error instanceof ConfigError && message.test(error.message), JSON.stringify(value));
});
