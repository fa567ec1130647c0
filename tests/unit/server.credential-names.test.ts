import { describe, expect, it } from 'vitest';
import { credentialNames } from '../../src/lib/server/couch/credential-names';

const basic = (userPass: string) => 'Basic ' + Buffer.from(userPass).toString('base64');

describe('credentialNames', () => {
  it('reads the name of a Basic credential up to the first colon', () => {
    expect(credentialNames({ authorization: basic('ana~phone:s3cr:et') })).toEqual(['ana~phone']);
    expect(credentialNames({ authorization: basic('ana~phone:') })).toEqual(['ana~phone']);
    expect(credentialNames({ authorization: `basic  ${basic('x~y:z').slice(6)}` })).toEqual([
      'x~y',
    ]);
  });

  it('reads the name of a real CouchDB 3.4 AuthSession cookie (transcript)', () => {
    // From ../shared/couchdb-reference/transcript.json, "cookie login ok (JSON body)".
    const cookie =
      'AuthSession=cmVmLXJlcDEtbXdyN2dtNXU6NkIwMjUwNjQ6dIxEEOBCwyZv0x_xiz2mv-Kr0AnQfKxBhlpiP0CjanQ';
    expect(credentialNames({ cookie })).toEqual(['ref-rep1-mwr7gm5u']);
  });

  it('reads every AuthSession cookie, quoted or not, among other cookies', () => {
    const session = (name: string) =>
      Buffer.from(`${name}:6B025064:`).toString('base64url') + 'AAEC';
    const cookie = `theme=dark; AuthSession="${session('a~1')}"; x=1; AuthSession=${session('b~2')}`;
    expect(credentialNames({ cookie })).toEqual(['a~1', 'b~2']);
  });

  it('reads both a Basic credential and a cookie', () => {
    const cookie = `AuthSession=${Buffer.from('a~1:6B025064:h').toString('base64url')}`;
    expect(credentialNames({ authorization: basic('b~2:pw'), cookie })).toEqual(['b~2', 'a~1']);
  });

  it('names nothing for no credential, another scheme or an empty cookie', () => {
    expect(credentialNames({})).toEqual([]);
    expect(credentialNames({ authorization: 'Bearer abc' })).toEqual([]);
    expect(credentialNames({ cookie: 'AuthSession=; other=1' })).toEqual([]);
  });
});
