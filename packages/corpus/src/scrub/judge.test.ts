import { describe, expect, it } from 'vitest';
import {
  isIPv6Address,
  isPlaceholder,
  isPublishableEmail,
  isPublishableIPv4,
  isPublishableIPv6,
  looksLikeSecret,
  shannonEntropy,
} from './judge.js';

const shape = { minLength: 8, minEntropy: 3 };

describe('isPlaceholder', () => {
  it('recognises what docs authors write instead of secrets', () => {
    for (const value of [
      '<your-token>',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax under test
      '${GITHUB_TOKEN}',
      '$TOKEN',
      '%API_KEY%',
      '{{ .Values.token }}',
      '$(cat /run/secrets/token)',
      'xxxxxxxxxxxx',
      '************',
      'changeme',
      'REPLACE_ME',
      '...',
      'aaaaaaaaaaaa',
      'your_api_key_here',
      `AK${'IA'}IOSFODNN7EXAMPLE`,
    ]) {
      expect(isPlaceholder(value), value).toBe(true);
    }
  });

  it('does not take random values for placeholders', () => {
    for (const value of ['Qz8vLm2TnW4pXr', 'sssvIpwfnLAcWAQH.9', '9f86d081884c7d659a2f']) {
      expect(isPlaceholder(value), value).toBe(false);
    }
  });
});

describe('looksLikeSecret', () => {
  it('accepts random-looking values', () => {
    for (const value of ['Qz8-vLm2', 'sssvIpwfnLAcWAQH.9', '3f9a1c0e7b2d4f68a9c1e0b7d2f4a6c8']) {
      expect(looksLikeSecret(value, shape), value).toBe(true);
    }
  });

  it('rejects identifiers, references, numbers and short values', () => {
    for (const value of [
      'etcd-client-tls',
      'my-etcd-token',
      'token-01',
      'secretName',
      'settings.SECRET_KEY',
      'DB_PASSWORD',
      '/etc/prometheus/password',
      'https://vault.internal/v1/secret',
      '1234567890123',
      'Ab1!',
    ]) {
      expect(looksLikeSecret(value, shape), value).toBe(false);
    }
  });

  it('judges base64 by what it decodes to', () => {
    expect(looksLikeSecret(Buffer.from('admin').toString('base64'), shape)).toBe(false);
    expect(looksLikeSecret(Buffer.from('password').toString('base64'), shape)).toBe(false);
    expect(looksLikeSecret(Buffer.from('Qz8-vLm2TnW4').toString('base64'), shape)).toBe(true);
    // Basic auth: user:password, judged by the password.
    expect(looksLikeSecret(Buffer.from('aladdin:opensesame').toString('base64'), shape)).toBe(
      false,
    );
    expect(looksLikeSecret(Buffer.from('ops:Qz8-vLm2TnW4').toString('base64'), shape)).toBe(true);
  });

  it('measures entropy in bits per character', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
  });
});

describe('addresses', () => {
  it('keeps loopback, private, documentation and reserved IPv4 and scrubs public ones', () => {
    for (const kept of [
      '127.0.0.1',
      '0.0.0.0',
      '10.240.0.17',
      '172.16.4.11',
      '172.31.255.255',
      '192.168.1.21',
      '192.0.2.10',
      '198.51.100.7',
      '203.0.113.42',
      '100.64.0.1',
      '169.254.169.254',
      '254.0.0.1',
      '255.255.255.0',
      '1.2.3.4',
      '8.8.8.8',
    ]) {
      expect(isPublishableIPv4(kept), kept).toBe(true);
    }
    for (const scrubbed of ['172.32.0.1', '52.14.200.7', '185.199.108.153', '203.0.114.1']) {
      expect(isPublishableIPv4(scrubbed), scrubbed).toBe(false);
    }
  });

  it('keeps special-use IPv6 and scrubs public IPv6', () => {
    for (const kept of [
      '::1',
      '::',
      'fe80::1',
      'fd12:3456:789a::1',
      'ff02::1',
      '2001:db8::10',
      '2001:0db8:85a3::8a2e:370:7334',
      '::ffff:10.0.0.1',
      '3fff:1::1',
    ]) {
      expect(isPublishableIPv6(kept), kept).toBe(true);
    }
    for (const scrubbed of ['2a01:4f8:c17:b8f::2', '2606:4700:10::6816:1a2b', '2001:db9::1']) {
      expect(isPublishableIPv6(scrubbed), scrubbed).toBe(false);
    }
  });

  it('tells IPv6 addresses from code and clock times', () => {
    expect(isIPv6Address('2a01:4f8:c17:b8f::2')).toBe(true);
    expect(isIPv6Address('::1')).toBe(true);
    expect(isIPv6Address('Face::Add')).toBe(false);
    expect(isIPv6Address('12:30:45')).toBe(false);
    expect(isIPv6Address('00:1a:2b:3c:4d:5e')).toBe(false);
  });

  it('keeps example, list and role addresses and scrubs personal ones', () => {
    for (const kept of [
      'admin@example.com',
      'jane@example.org',
      'alerts@monitoring.example',
      'security@etcd.io',
      'noreply@github.com',
      'prometheus-developers@googlegroups.com',
      'cncf-etcd-maintainers@lists.cncf.io',
      'git@github.com',
    ]) {
      expect(isPublishableEmail(kept), kept).toBe(true);
    }
    for (const scrubbed of [
      'brian.brazil@gmail.com',
      'old.address@johndoe.com',
      '1234567+octocat@users.noreply.github.com',
      'ci-deployer@acme-prod-123.iam.gserviceaccount.com',
    ]) {
      expect(isPublishableEmail(scrubbed), scrubbed).toBe(false);
    }
  });
});
