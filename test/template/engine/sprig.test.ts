/**
 * Sprig v3 functions, with expected values from the Sprig documentation and Go's standard library
 * (hash digests are the published test vectors for "abc").
 */
import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../../src/template/index.js';

const r = (src: string, data: unknown = {}): string => compileTemplate(src).render(JSON.stringify(data));

describe('strings', () => {
  it('changes case and trims', () => {
    expect(r('{{upper "hello"}}|{{lower "HeLLo"}}|{{title "hello world"}}|{{untitle "Hello World"}}')).toBe('HELLO|hello|Hello World|hello world');
    expect(r('{{trim "  x  "}}|{{trimAll "$" "$5.00$"}}|{{trimPrefix "-" "-x"}}|{{trimSuffix "-" "x-"}}')).toBe('x|5.00|x|x');
    expect(r('{{swapcase "Hello"}}|{{nospace "h e l\tlo"}}|{{initials "John Ronald Tolkien"}}')).toBe('hELLO|hello|JRT');
  });
  it('converts identifier styles', () => {
    expect(r('{{snakecase "FirstName"}}|{{kebabcase "FirstName"}}|{{camelcase "http_server"}}')).toBe('first_name|first-name|HttpServer');
  });
  it('repeats, cuts and abbreviates', () => {
    expect(r('{{repeat 3 "ab"}}|{{substr 0 5 "hello world"}}|{{trunc 5 "hello world"}}|{{trunc -5 "hello world"}}')).toBe('ababab|hello|hello|world');
    expect(r('{{abbrev 5 "hello world"}}|{{abbrevboth 5 10 "1234 5678 9123"}}')).toBe('he...|...5678...');
  });
  it('tests contents', () => {
    expect(r('{{contains "cat" "catch"}}|{{hasPrefix "ca" "cat"}}|{{hasSuffix "at" "cat"}}')).toBe('true|true|true');
  });
  it('quotes and concatenates', () => {
    expect(r('{{quote "a" 1}}|{{squote "a"}}|{{cat "hello" "beautiful" "world"}}')).toBe('"a" "1"|\'a\'|hello beautiful world');
  });
  it('indents and replaces', () => {
    expect(r('{{indent 2 "a\\nb"}}|{{nindent 2 "a"}}|{{replace " " "-" "I Am Henry"}}')).toBe('  a\n  b|\n  a|I-Am-Henry');
  });
  it('pluralizes, wraps and splits', () => {
    expect(r('{{plural "one anchovy" "many anchovies" 1}}|{{plural "one" "many" 2}}')).toBe('one anchovy|many');
    expect(r('{{wrap 5 "Hello World"}}')).toBe('Hello\nWorld');
    expect(r('{{$p := split "$" "foo$bar$baz"}}{{$p._0}}-{{$p._2}}|{{join "," (splitList "$" "a$b")}}|{{$q := splitn "$" 2 "a$b$c"}}{{$q._1}}')).toBe('foo-baz|a,b|b$c');
  });
  it('converts to strings and numbers', () => {
    expect(r('{{toString 42}}|{{atoi "12"}}|{{atoi "x"}}|{{int "42"}}|{{int64 3.9}}|{{float64 "1.5"}}')).toBe('42|12|0|42|3|1.500000');
    expect(r('{{join "-" (toStrings (list 1 "b" 3))}}')).toBe('1-b-3');
  });
  it('produces random strings of the right shape', () => {
    expect(r('{{randAlpha 8}}')).toMatch(/^[A-Za-z]{8}$/);
    expect(r('{{randAlphaNum 8}}')).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(r('{{randNumeric 6}}')).toMatch(/^\d{6}$/);
    expect(r('{{randAscii 5 | len}}')).toBe('5');
    expect(r('{{shuffle "abcdef" | len}}')).toBe('6');
  });
});

describe('math', () => {
  it('does int64 arithmetic', () => {
    expect(r('{{add 1 2 3}}|{{add1 5}}|{{sub 5 7}}|{{mul 2 3 4}}|{{div 7 2}}|{{mod 7 3}}|{{max 1 5 3}}|{{min 4 2 9}}')).toBe('6|6|-2|24|3|1|5|2');
  });
  it('converts operands like cast.ToInt64', () => {
    expect(r('{{add "2" 3.7 true}}|{{add .n 1}}', { n: 41 })).toBe('6|42');
  });
  it('wraps around at 64 bits', () => {
    expect(r('{{mul 4611686018427387904 2}}')).toBe('-9223372036854775808');
  });
  it('does float64 arithmetic with decimal precision', () => {
    expect(r('{{addf 1.5 2}}|{{subf 5 1.25}}|{{mulf 1.5 2}}|{{divf 10 4}}|{{maxf 1 2.5}}|{{minf 1 2.5}}')).toBe('3.500000|3.750000|3.000000|2.500000|2.500000|1.000000');
    expect(r('{{printf "%v" (addf 0.1 0.2)}}')).toBe('0.3');
  });
  it('rounds', () => {
    expect(r('{{round 123.5555 3}}|{{ceil 1.2}}|{{floor 1.8}}')).toBe('123.556000|2.000000|1.000000');
  });
  it('builds integer sequences', () => {
    expect(r('{{until 3}}|{{untilStep 1 10 3}}|{{seq 3}}|{{seq 2 -1 0}}|{{seq 1 2 7}}')).toBe('[0 1 2]|[1 4 7]|1 2 3|2 1 0|1 3 5 7');
  });
});

describe('defaults', () => {
  it('default, empty, coalesce, ternary, all, any', () => {
    expect(r('{{default "foo" .missing}}|{{default "foo" .s}}|{{default "foo" ""}}|{{default 5 0}}', { s: 'bar' })).toBe('foo|bar|foo|5');
    expect(r('{{empty ""}}|{{empty 0}}|{{empty "x"}}|{{empty .e}}|{{empty .z}}', { e: [], z: {} })).toBe('true|true|false|true|true');
    expect(r('{{coalesce .a .b "c"}}|{{ternary "yes" "no" true}}|{{ternary "yes" "no" false}}')).toBe('c|yes|no');
    expect(r('{{all 1 "a" true}}|{{all 1 ""}}|{{any 0 "" "x"}}|{{any 0 ""}}')).toBe('true|false|true|false');
  });
});

describe('encoding, hashes, JSON', () => {
  it('base64 and base32', () => {
    expect(r('{{b64enc "hello"}}|{{b64dec "aGVsbG8="}}|{{b32enc "hello"}}|{{b32dec "NBSWY3DP"}}')).toBe('aGVsbG8=|hello|NBSWY3DP|hello');
  });
  it('hashes', () => {
    expect(r('{{sha1sum "abc"}}')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(r('{{sha256sum "abc"}}')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(r('{{adler32sum "Wikipedia"}}')).toBe(String(0x11e60398));
  });
  it('toJson of strings, numbers and JSON values', () => {
    expect(r('{{toJson .s}}|{{toJson .n}}|{{toJson .arr}}|{{.obj | toJson}}', { s: 'a"<b>', n: 1.5, arr: ['x', 1], obj: { k: null } })).toBe(
      '"a\\"\\u003cb\\u003e"|1.5|["x",1]|{"k":null}',
    );
    expect(r('{{toRawJson .s}}', { s: '<b>' })).toBe('"<b>"');
    expect(r('{{toPrettyJson .o}}', { o: { a: [1, 2], b: {} } })).toBe('{\n  "a": [\n    1,\n    2\n  ],\n  "b": {}\n}');
    expect(r('{{toJson (dict "b" 1 "a" (list 1 "x"))}}')).toBe('{"a":[1,"x"],"b":1}');
  });
  it('fromJson yields values usable in the template', () => {
    expect(r('{{$o := fromJson .s}}{{$o.a}}|{{index $o "b" 1}}|{{fromJson "[1,2]" | len}}', { s: '{"a":"x","b":[1,2]}' })).toBe('x|2|2');
  });
  it('uuidv4 has the version 4 shape', () => {
    expect(r('{{uuidv4}}')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('regular expressions (Go RE2 syntax)', () => {
  it('matches, finds and replaces', () => {
    expect(r('{{regexMatch "^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\\\.[A-Za-z]{2,}$" "test@acme.com"}}')).toBe('true');
    expect(r('{{regexFind "[a-zA-Z][1-9]" "abcd1234"}}|{{regexFindAll "[2,4,6,8]" "123456789" -1}}|{{regexFindAll "[2,4,6,8]" "123456789" 2}}')).toBe('d1|[2 4 6 8]|[2 4]');
    expect(r('{{regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W"}}|{{regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}"}}')).toBe('-W-xxW-|-${1}-${1}-');
    expect(r('{{regexSplit "z+" "pizza" -1}}|{{regexSplit "z+" "pizza" 1}}|{{regexQuoteMeta "1.2"}}')).toBe('[pi a]|[pizza]|1\\.2');
  });
  it('understands Go-only syntax', () => {
    expect(r('{{regexMatch "(?i)^HELLO$" "hello"}}|{{regexFind "[[:digit:]]+" "ab123"}}|{{regexReplaceAll "(?P<w>\\\\w+)@" "me@x" "${w}"}}')).toBe('true|123|mex');
  });
  it('regexMatch is false for an invalid pattern, mustRegexMatch fails', () => {
    expect(r('{{regexMatch "(" "x"}}')).toBe('false');
    expect(() => r('{{mustRegexMatch "(" "x"}}')).toThrow(/error parsing regexp/);
  });
});

describe('dates', () => {
  it('formats Unix times with Go layouts', () => {
    expect(r('{{date "2006-01-02T15:04:05Z07:00" 1700000000}}')).toBe('2023-11-14T22:13:20Z');
    expect(r('{{dateInZone "2006-01-02 15:04 MST" 1700000000 "Asia/Shanghai"}}')).toBe('2023-11-15 06:13 CST');
    expect(r('{{dateInZone "Mon Jan _2 3:04PM -0700" 1700000000 "America/New_York"}}')).toBe('Tue Nov 14 5:13PM -0500');
    expect(r('{{htmlDate 0}}')).toBe('1970-01-01');
  });
  it('parses, modifies and converts dates', () => {
    expect(r('{{toDate "2006-01-02" "2024-03-15" | unixEpoch}}')).toBe('1710460800');
    expect(r('{{toDate "2006-01-02" "2024-03-15" | dateModify "+1h30m" | date "15:04"}}')).toBe('01:30');
    expect(r('{{toDate "2006-01-02" "2024-03-15" | date "Jan 2, 2006"}}')).toBe('Mar 15, 2024');
  });
  it('formats durations', () => {
    expect(r('{{duration "95"}}|{{duration 3600}}|{{durationRound "2h10m"}}|{{durationRound "400s"}}')).toBe('1m35s|1h0m0s|2h|6m');
  });
  it('now and ago', () => {
    expect(r('{{now | date "2006"}}')).toMatch(/^20\d\d$/);
    expect(r('{{ago now}}')).toBe('0s');
    expect(r('{{dateInZone "20060102" now "Asia/Shanghai"}}')).toMatch(/^\d{8}$/);
  });
});

describe('lists and dicts', () => {
  it('builds and reads lists', () => {
    expect(r('{{list 1 "a" 2.5}}|{{first (list 1 2)}}|{{last (list 1 2)}}|{{rest (list 1 2 3)}}|{{initial (list 1 2 3)}}')).toBe('[1 a 2.5]|1|2|[2 3]|[1 2]');
    expect(r('{{append (list 1) 2}}|{{prepend (list 1) 0}}|{{concat (list 1) (list 2 3)}}|{{reverse (list 1 2 3)}}')).toBe('[1 2]|[0 1]|[1 2 3]|[3 2 1]');
    expect(r('{{uniq (list 1 1 2)}}|{{without (list 1 2 3) 2}}|{{has 2 (list 1 2)}}|{{compact (list 1 "" 0 "x")}}')).toBe('[1 2]|[1 3]|true|[1 x]');
    expect(r('{{slice (list 1 2 3 4) 1 3}}|{{sortAlpha (list "b" "a" "C")}}|{{chunk 2 (list 1 2 3)}}')).toBe('[2 3]|[C a b]|[[1 2] [3]]');
  });
  it('treats JSON arrays from the data as lists', () => {
    expect(r('{{first .a}}|{{join "," .a}}|{{has "y" .a}}|{{last .a}}', { a: ['x', 'y'] })).toBe('x|x,y|true|y');
  });
  it('builds and reads dicts', () => {
    expect(r('{{$d := dict "a" 1 "b" "two"}}{{get $d "a"}}|{{$d.b}}|{{hasKey $d "b"}}|{{keys $d | sortAlpha}}|{{$d}}')).toBe('1|two|true|[a b]|map[a:1 b:two]');
    expect(r('{{$d := dict "a" 1}}{{$_ := set $d "b" 2}}{{$d}}|{{unset $d "a"}}')).toBe('map[a:1 b:2]|map[b:2]');
    expect(r('{{pick (dict "a" 1 "b" 2) "a"}}|{{omit (dict "a" 1 "b" 2) "a"}}|{{pluck "k" (dict "k" 1) (dict "k" 2)}}')).toBe('map[a:1]|map[b:2]|[1 2]');
    expect(r('{{merge (dict "a" 1) (dict "a" 2 "b" 3)}}|{{mergeOverwrite (dict "a" 1) (dict "a" 2)}}')).toBe('map[a:1 b:3]|map[a:2]');
    expect(r('{{dig "a" "b" "none" (dict "a" (dict "b" "found"))}}|{{dig "a" "x" "none" (dict "a" (dict "b" 1))}}')).toBe('found|none');
  });
  it('treats JSON objects from the data as dicts', () => {
    expect(r('{{get .o "k"}}|{{keys .o}}|{{hasKey .o "z"}}', { o: { k: 'v' } })).toBe('v|[k]|false');
  });
});

describe('semver, paths, reflection', () => {
  it('semver', () => {
    expect(r('{{semver "v1.2"}}|{{semverCompare "^1.2.0" "1.9.3"}}|{{semverCompare "~1.2.0" "1.3.0"}}|{{semverCompare ">=1.0, <2.0 || 3.x" "3.1.0"}}')).toBe('1.2.0|true|false|true');
  });
  it('paths', () => {
    expect(r('{{base "/a/b.txt"}}|{{dir "/a/b.txt"}}|{{ext "b.tar.gz"}}|{{clean "/a/../b//c/"}}|{{isAbs "/x"}}')).toBe('b.txt|/a|.gz|/b/c|true');
  });
  it('type inspection', () => {
    expect(r('{{typeOf 1}}|{{typeOf "s"}}|{{typeOf 1.5}}|{{kindOf (list)}}|{{kindIs "map" (dict)}}|{{deepEqual (list 1) (list 1)}}')).toBe('int|string|float64|slice|true|true');
  });
  it('urlParse and urlJoin', () => {
    expect(r('{{$u := urlParse "https://user@example.com:8080/p/a?q=1#f"}}{{$u.scheme}}|{{$u.host}}|{{$u.hostname}}|{{$u.path}}|{{$u.query}}|{{$u.fragment}}|{{$u.userinfo}}')).toBe(
      'https|example.com:8080|example.com|/p/a|q=1|f|user',
    );
    expect(r('{{urlJoin (dict "scheme" "https" "host" "h.io" "path" "/x" "query" "a=1")}}')).toBe('https://h.io/x?a=1');
  });
});

describe('crypto helpers', () => {
  it('encryptAES and decryptAES round-trip', () => {
    expect(r('{{encryptAES "secretkey" "plaintext" | decryptAES "secretkey"}}')).toBe('plaintext');
    expect(r('{{encryptAES "k" ""}}|{{decryptAES "k" ""}}')).toBe('|');
    expect(() => r('{{decryptAES "key" "bad"}}')).toThrow(/illegal base64/);
  });
  it('derivePassword follows the Master Password algorithm (Sprig documentation example)', () => {
    expect(r('{{derivePassword 1 "long" "password" "user" "example.com"}}')).toBe('ZedaFaxcZaso9*');
  });
  it('genPrivateKey emits PEM', () => {
    expect(r('{{genPrivateKey "ecdsa"}}')).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n[\s\S]+-----END EC PRIVATE KEY-----\n$/);
    expect(r('{{genPrivateKey "ed25519"}}')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(r('{{genPrivateKey "nope"}}')).toBe('Unknown type nope');
  });
});
