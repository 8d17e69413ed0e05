/**
 * Tokenizer for Go text/template syntax, following the state machine of Go's text/template/parse lexer
 * (delimiters `{{ }}`, trim markers, comments, and the tokens allowed inside actions).
 */

/** Token kinds, in the order of Go's itemType. */
export const enum Tok {
  Error,
  Bool,
  Char,
  CharConstant,
  Comment,
  Complex,
  Assign,
  Declare,
  EOF,
  Field,
  Identifier,
  LeftDelim,
  LeftParen,
  Number,
  Pipe,
  RawString,
  RightDelim,
  RightParen,
  Space,
  String,
  Text,
  Variable,
  // keywords
  Block,
  Break,
  Continue,
  Dot,
  Define,
  Else,
  End,
  If,
  Nil,
  Range,
  Template,
  With,
}

/** One lexical item: its kind, text, and start offset in the source. */
export interface Token {
  typ: Tok;
  val: string;
  pos: number;
}

const KEYWORDS = new Map<string, Tok>(Object.entries({
  '.': Tok.Dot,
  block: Tok.Block,
  break: Tok.Break,
  continue: Tok.Continue,
  define: Tok.Define,
  else: Tok.Else,
  end: Tok.End,
  if: Tok.If,
  range: Tok.Range,
  nil: Tok.Nil,
  template: Tok.Template,
  with: Tok.With,
}));

const LEFT = '{{';
const RIGHT = '}}';
const LEFT_COMMENT = '/*';
const RIGHT_COMMENT = '*/';

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

const ALNUM = /^[\p{L}\p{Nd}_]$/u;
function isAlphaNumeric(c: string): boolean {
  if (c === '') return false;
  const code = c.charCodeAt(0);
  if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95) return true;
  if (code < 128) return false;
  return ALNUM.test(c);
}

function hasLeftTrim(s: string, i: number): boolean {
  return s.length >= i + 2 && s[i] === '-' && isSpace(s[i + 1]);
}
function hasRightTrim(s: string, i: number): boolean {
  return s.length >= i + 2 && isSpace(s[i]) && s[i + 1] === '-';
}

/** Tokenizes a whole template source; the last token is EOF or Error. */
export function lex(input: string): Token[] {
  const items: Token[] = [];
  let pos = 0;
  let start = 0;
  let parenDepth = 0;
  const len = input.length;

  const emit = (typ: Tok): void => {
    items.push({ typ, val: input.slice(start, pos), pos: start });
    start = pos;
  };
  const fail = (msg: string): false => {
    items.push({ typ: Tok.Error, val: msg, pos: start });
    return false;
  };
  const peekCh = (): string => (pos < len ? codePointAt(input, pos) : '');
  const nextCh = (): string => {
    if (pos >= len) {
      pos = len + 1; // past end marks EOF like Go's width trick
      return '';
    }
    const c = codePointAt(input, pos);
    pos += c.length;
    return c;
  };
  const backup = (c: string): void => {
    pos -= c === '' ? 1 : c.length;
  };
  const atRightDelim = (): [boolean, boolean] => {
    if (hasRightTrim(input, pos) && input.startsWith(RIGHT, pos + 2)) return [true, true];
    if (input.startsWith(RIGHT, pos)) return [true, false];
    return [false, false];
  };
  const atTerminator = (): boolean => {
    const c = peekCh();
    if (c === '' || isSpace(c)) return true;
    if (c === '.' || c === ',' || c === '|' || c === ':' || c === ')' || c === '(') return true;
    return input.startsWith(RIGHT, pos);
  };
  const accept = (valid: string): boolean => {
    const c = nextCh();
    if (c !== '' && valid.includes(c)) return true;
    backup(c);
    return false;
  };
  const acceptRun = (valid: string): void => {
    for (;;) {
      const c = nextCh();
      if (c === '' || !valid.includes(c)) {
        backup(c);
        return;
      }
    }
  };
  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(peekCh())) {
      nextCh();
      return false;
    }
    return true;
  };

  // Text outside actions, up to the next left delimiter.
  const lexText = (): boolean => {
    const x = input.indexOf(LEFT, pos);
    if (x >= 0) {
      const ldn = LEFT.length;
      let trimLen = 0;
      if (hasLeftTrim(input, x + ldn)) {
        let j = x;
        while (j > pos && isSpace(input[j - 1])) j--;
        trimLen = x - j;
      }
      pos = x - trimLen;
      if (pos > start) emit(Tok.Text);
      pos = x;
      start = pos;
      return lexLeftDelim();
    }
    pos = len;
    if (pos > start) emit(Tok.Text);
    items.push({ typ: Tok.EOF, val: '', pos: len });
    return false;
  };

  const lexLeftDelim = (): boolean => {
    pos += LEFT.length;
    const trim = hasLeftTrim(input, pos);
    const after = trim ? 2 : 0;
    if (input.startsWith(LEFT_COMMENT, pos + after)) {
      pos += after;
      start = pos;
      return lexComment();
    }
    items.push({ typ: Tok.LeftDelim, val: LEFT, pos: start });
    pos += after;
    start = pos;
    parenDepth = 0;
    return true;
  };

  const lexComment = (): boolean => {
    pos += LEFT_COMMENT.length;
    const x = input.indexOf(RIGHT_COMMENT, pos);
    if (x < 0) return fail('unclosed comment');
    pos = x + RIGHT_COMMENT.length;
    const [delim, trim] = atRightDelim();
    if (!delim) return fail('comment ends before closing delimiter');
    if (trim) pos += 2;
    pos += RIGHT.length;
    if (trim) while (pos < len && isSpace(input[pos])) pos++;
    start = pos;
    return lexText();
  };

  const lexRightDelim = (): boolean => {
    const [, trim] = atRightDelim();
    if (trim) {
      pos += 2;
      start = pos;
    }
    pos += RIGHT.length;
    emit(Tok.RightDelim);
    if (trim) {
      while (pos < len && isSpace(input[pos])) pos++;
      start = pos;
    }
    return lexText();
  };

  const lexInsideAction = (): boolean => {
    const [delim] = atRightDelim();
    if (delim) {
      if (parenDepth === 0) return lexRightDelim();
      return fail('unclosed left paren');
    }
    const r = nextCh();
    if (r === '') return fail('unclosed action');
    if (isSpace(r)) {
      backup(r);
      return lexSpace();
    }
    switch (r) {
      case '=':
        emit(Tok.Assign);
        return true;
      case ':':
        if (nextCh() !== '=') return fail('expected :=');
        emit(Tok.Declare);
        return true;
      case '|':
        emit(Tok.Pipe);
        return true;
      case '"':
        return lexQuote();
      case '`':
        return lexRawQuote();
      case '$':
        if (atTerminator()) {
          emit(Tok.Variable);
          return true;
        }
        return lexFieldOrVariable(Tok.Variable);
      case "'":
        return lexChar();
      case '(':
        parenDepth++;
        emit(Tok.LeftParen);
        return true;
      case ')':
        parenDepth--;
        if (parenDepth < 0) return fail('unexpected right paren');
        emit(Tok.RightParen);
        return true;
    }
    if (r === '.') {
      if (pos < len) {
        const c = input[pos];
        if (c < '0' || c > '9') return lexFieldOrVariable(Tok.Field);
      }
      backup(r);
      return lexNumber();
    }
    if (r === '+' || r === '-' || (r >= '0' && r <= '9')) {
      backup(r);
      return lexNumber();
    }
    if (isAlphaNumeric(r)) {
      backup(r);
      return lexIdentifier();
    }
    const code = r.codePointAt(0)!;
    if (code < 128 && code >= 0x20 && code < 0x7f) {
      emit(Tok.Char);
      return true;
    }
    return fail(`unrecognized character in action: ${goRuneDesc(r)}`);
  };

  const lexSpace = (): boolean => {
    let n = 0;
    while (pos < len && isSpace(input[pos])) {
      pos++;
      n++;
    }
    if (hasRightTrim(input, pos - 1) && input.startsWith(RIGHT, pos - 1 + 2)) {
      pos--;
      if (n === 1) return lexRightDelim();
    }
    emit(Tok.Space);
    return true;
  };

  const lexIdentifier = (): boolean => {
    for (;;) {
      const r = nextCh();
      if (isAlphaNumeric(r)) continue;
      backup(r);
      const word = input.slice(start, pos);
      if (!atTerminator()) return fail(`bad character ${goRuneDesc(r)}`);
      const kw = KEYWORDS.get(word);
      if (kw !== undefined && kw !== Tok.Dot) emit(kw);
      else if (word === 'true' || word === 'false') emit(Tok.Bool);
      else emit(Tok.Identifier);
      return true;
    }
  };

  const lexFieldOrVariable = (typ: Tok): boolean => {
    if (atTerminator()) {
      emit(typ === Tok.Variable ? Tok.Variable : Tok.Dot);
      return true;
    }
    let r = '';
    for (;;) {
      r = nextCh();
      if (!isAlphaNumeric(r)) {
        backup(r);
        break;
      }
    }
    if (!atTerminator()) return fail(`bad character ${goRuneDesc(r)}`);
    emit(typ);
    return true;
  };

  const lexChar = (): boolean => {
    for (;;) {
      const c = nextCh();
      if (c === '\\') {
        const d = nextCh();
        if (d !== '' && d !== '\n') continue;
        return fail('unterminated character constant');
      }
      if (c === '' || c === '\n') return fail('unterminated character constant');
      if (c === "'") break;
    }
    emit(Tok.CharConstant);
    return true;
  };

  const lexNumber = (): boolean => {
    if (!scanNumber()) return fail(`bad number syntax: ${goQuoteSimple(input.slice(start, Math.min(pos, len)))}`);
    const sign = peekCh();
    if (sign === '+' || sign === '-') {
      if (!scanNumber() || input[pos - 1] !== 'i') return fail(`bad number syntax: ${goQuoteSimple(input.slice(start, Math.min(pos, len)))}`);
      emit(Tok.Complex);
      return true;
    }
    emit(Tok.Number);
    return true;
  };

  const lexQuote = (): boolean => {
    for (;;) {
      const c = nextCh();
      if (c === '\\') {
        const d = nextCh();
        if (d !== '' && d !== '\n') continue;
        return fail('unterminated quoted string');
      }
      if (c === '' || c === '\n') return fail('unterminated quoted string');
      if (c === '"') break;
    }
    emit(Tok.String);
    return true;
  };

  const lexRawQuote = (): boolean => {
    const x = input.indexOf('`', pos);
    if (x < 0) return fail('unterminated raw quoted string');
    pos = x + 1;
    emit(Tok.RawString);
    return true;
  };

  // Each state returns true while still inside an action; false after EOF or an error.
  if (lexText()) while (lexInsideAction());
  return items;
}

function codePointAt(s: string, i: number): string {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) return s.slice(i, i + 2);
  return s[i];
}

/** Describes a rune the way Go's %#U does, e.g. U+0023 '#'. */
export function goRuneDesc(r: string): string {
  if (r === '') return 'U+FFFFFFFF';
  const cp = r.codePointAt(0)!;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return cp >= 0x20 && cp !== 0x7f ? `U+${hex} '${r}'` : `U+${hex}`;
}

function goQuoteSimple(s: string): string {
  return JSON.stringify(s);
}
