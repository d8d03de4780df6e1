import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentSchema } from '@cncf-llm/scraper';
import { describe, expect, it } from 'vitest';
import { findFencedCode } from './code-fences.js';
import { detectLanguage, proseOf } from './language.js';

const documents = readFileSync(
  join(import.meta.dirname, '../../test/fixtures/documents/documents.jsonl'),
  'utf8',
)
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => DocumentSchema.parse(JSON.parse(line)));

// Documentation prose written for these tests (not copied from anywhere), with the code and
// markup a real page has around it.
const GERMAN = `# Einen Cluster einrichten

Bevor Sie beginnen, stellen Sie sicher, dass auf jedem Rechner dieselbe Version installiert ist.
Die Konfiguration wird beim ersten Start gelesen und danach in einer Datei im Datenverzeichnis
gespeichert. Änderungen an den Startparametern werden deshalb erst nach einem Neustart wirksam.

\`\`\`sh
etcd --name infra0 --data-dir /var/lib/etcd --listen-client-urls http://127.0.0.1:2379
\`\`\`

Wenn ein Mitglied ausfällt, bleibt der Cluster verfügbar, solange die Mehrheit der Mitglieder
erreichbar ist. Sichern Sie die Daten regelmäßig mit dem Befehl \`etcdctl snapshot save\`.`;

const SPANISH = `## Configuración del clúster

Antes de empezar, compruebe que todos los servidores tienen la misma versión instalada. La
configuración se lee al iniciar el servicio por primera vez y se guarda en el directorio de datos,
por lo que los cambios en los parámetros de arranque solo se aplican después de reiniciar.

Si un miembro deja de responder, el clúster sigue disponible mientras la mayoría de los miembros
pueda comunicarse. Haga copias de seguridad de forma periódica con \`etcdctl snapshot save\`.`;

const CHINESE = `# 部署集群

开始之前，请确认每台服务器上安装的版本相同。配置会在第一次启动时读取，并保存在数据目录中，因此修改启动参数后必须重新启动服务才能生效。

\`\`\`sh
etcdctl --endpoints=http://127.0.0.1:2379 member list
\`\`\`

如果某个成员停止响应，只要大多数成员仍然可以互相通信，集群就能继续提供服务。请定期备份数据，并在升级之前阅读版本说明。`;

const JAPANESE = `# クラスタの構築

作業を始める前に、すべてのサーバーに同じバージョンがインストールされていることを確認してください。設定は最初の起動時に読み込まれ、データディレクトリに保存されます。そのため、起動パラメータを変更した場合は、サービスを再起動するまで反映されません。

メンバーの一つが応答しなくなっても、過半数のメンバーが通信できる限り、クラスタは利用可能なままです。定期的にデータのバックアップを取り、アップグレードの前にはリリースノートを読んでください。`;

const FRENCH = `## Sauvegarder les données

Nous vous recommandons de sauvegarder régulièrement les données du cluster, en particulier avant
une mise à jour. La commande crée un instantané cohérent que vous pourrez restaurer plus tard sur
une nouvelle machine si le disque d'origine est perdu ou endommagé.`;

/** Share of a page's characters inside fenced code. */
const codeShare = (markdown: string) =>
  findFencedCode(markdown).reduce((n, r) => n + r.end - r.start, 0) / Math.max(1, markdown.length);

describe('detectLanguage', () => {
  it('reads documentation prose written in other languages', () => {
    const cases: Array<[string, string]> = [
      [GERMAN, 'de'],
      [SPANISH, 'es'],
      [CHINESE, 'zh'],
      [JAPANESE, 'ja'],
      [FRENCH, 'fr'],
    ];
    for (const [text, language] of cases) {
      expect(detectLanguage(text), language).toEqual({ language, reliable: true });
    }
  });

  it('calls every real English page English (or too short to say), never another language', () => {
    const results = documents.map((doc) => ({
      url: doc.url,
      result: detectLanguage(doc.markdown),
    }));
    const wrong = results.filter((r) => r.result !== null && r.result.language !== 'en');
    expect(wrong).toEqual([]);
    const reliableEnglish = results.filter((r) => r.result?.language === 'en' && r.result.reliable);
    // 142 of the 166 pages; the rest are index pages made of a few links, or code with a line
    // of text around it.
    expect(reliableEnglish.length).toBeGreaterThanOrEqual(140);
    const whitepaper = documents.find((doc) => doc.sourceType === 'whitepaper');
    expect(detectLanguage(whitepaper?.markdown ?? '')).toEqual({ language: 'en', reliable: true });
  });

  it('keeps code-heavy real pages English or undecided', () => {
    const codeHeavy = documents.filter((doc) => codeShare(doc.markdown) >= 0.5);
    expect(codeHeavy.length).toBeGreaterThanOrEqual(10);
    for (const doc of codeHeavy) {
      const result = detectLanguage(doc.markdown);
      expect(result === null || result.language === 'en', doc.url).toBe(true);
    }
  });

  it('judges the prose of a page, not its code', () => {
    // German prose around long English-looking code stays German.
    const code = `\`\`\`go\n${'// Create a new client and put the key into the store with a lease.\nclient.Put(ctx, key, value)\n'.repeat(30)}\`\`\``;
    expect(detectLanguage(`${GERMAN}\n\n${code}`)?.language).toBe('de');
    // The same code with one English sentence is English, not whatever the code looks like.
    const english =
      'Use the client to store each key with a lease, so that it expires on its own after the lease ends.';
    expect(detectLanguage(`${english}\n\n${code}`)?.language).toBe('en');
  });

  it('says nothing when there is too little prose', () => {
    expect(detectLanguage('')).toBeNull();
    expect(detectLanguage('# Alertmanager')).toBeNull();
    expect(detectLanguage('```sh\netcdctl put foo bar\netcdctl get foo\n```')).toBeNull();
    expect(
      detectLanguage('See https://etcd.io/docs/v3.6/ and `--data-dir` for `etcd_v3.6.0`.'),
    ).toBeNull();
  });

  it('marks short but judgeable prose unreliable', () => {
    const result = detectLanguage(
      'The cluster keeps running while most of its members can still reach each other over the network.',
    );
    expect(result).toEqual({ language: 'en', reliable: false });
  });
});

describe('proseOf', () => {
  it('drops fenced and inline code, URLs, addresses and code-shaped words, keeps link text', () => {
    const prose = proseOf(
      'Run `etcdctl put` as in [the guide](https://etcd.io/docs/) or mail admin@example.com:\n\n```sh\nrm -rf /\n```\n\nSet --data-dir=/var/lib/etcd and ETCD_NAME before v3.6.0 starts.',
    );
    expect(prose).toContain('the guide');
    for (const gone of [
      'etcdctl put',
      'https://',
      'admin@example.com',
      'rm -rf',
      '--data-dir',
      'ETCD_NAME',
      'v3.6.0',
    ]) {
      expect(prose).not.toContain(gone);
    }
    expect(prose).toContain('starts.');
  });
});
