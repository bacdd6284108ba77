import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startImportFixture, type ImportFixture } from '../../helpers/import-fixture';

describe('mailbox calls against the Graph simulator (a server that decodes query strings)', () => {
  let f: ImportFixture;
  before(async () => {
    f = await startImportFixture();
  });
  after(() => f.stop());

  it('finds a user whose address has a "+" (unencoded, the server would read a space)', async () => {
    const check = await f.services.mailboxApi.checkMailbox('markets+desk@contoso.example');
    assert.equal(check.status, 'mailbox', JSON.stringify(check));
  });

  it('finds a message by a Message-ID with "%", "&", "+" and "#" (the duplicate check in importMime mode)', async () => {
    const api = f.services.mailboxApi;
    const check = await api.checkMailbox('olivia.bennett@contoso.example');
    assert.equal(check.status, 'mailbox');
    if (check.status !== 'mailbox') return;
    const folderId = await api.ensureFolder(check.userId, 'Query & encoding #1');
    assert.equal(await api.ensureFolder(check.userId, 'Query & encoding #1'), folderId, 'the folder is found again by its name');
    const internetMessageId = '<100%25+a&b#c.enterprise@mobile-archive.invalid>';
    const id = await api.createMessage(check.userId, folderId, { subject: 'encoding', internetMessageId });
    assert.equal(await api.findByInternetMessageId(check.userId, folderId, internetMessageId), id);
    assert.equal(await api.findByExtendedProperty(check.userId, folderId, 'String {00020386-0000-0000-C000-000000000046} Name x-a&b', 'v+1'), undefined);
  });
});
