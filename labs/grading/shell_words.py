"""Docker 20.10's word expansion, as its classic builder applies it to FROM, ARG, ENV, ADD and COPY.

The builder runs each argument of those instructions through a small shell lexer (quotes, the
escape character of `# escape=`, `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR:+word}`, `${VAR?msg}`,
`${VAR:?msg}`; anything else inside `${}` is an error). The gate must see the word the builder
will act on, so this module follows that lexer step by step rather than a POSIX shell: for
example `${VAR-word}` (no colon) is an error in 20.10, where later Docker releases accept it.

The gate does not know every variable: an image's own ENV (python's PATH, LANG, ...) is in
scope at build time but not in the Dockerfile. A `Scope` therefore says, per name, whether
its value is certain, and an `Expansion` says whether its text depended on anything uncertain.
"""

import unicodedata
from dataclasses import dataclass, field

_EOF = ""
# Go's unicode.IsSpace: the Latin-1 spaces plus the White_Space property.
GO_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_SPECIAL_PARAMETERS = frozenset("@*#?-$!0")
_SPECIAL = frozenset("$'\"\ufeff")


class ShellWordError(ValueError):
    """The builder would stop at this word (its own message, as Docker words it)."""


@dataclass(frozen=True)
class Binding:
    value: str | None  # None: declared without a value, so unset
    certain: bool = True


@dataclass
class Scope:
    """The variables a word is expanded with.

    `closed` means a name the scope does not list is certainly unset (the global scope of FROM,
    or a stage whose lineage starts FROM scratch); otherwise the base image may define it.
    """

    bindings: dict[str, Binding] = field(default_factory=dict)
    closed: bool = True

    def lookup(self, name: str) -> Binding:
        binding = self.bindings.get(name)
        if binding is not None:
            return binding
        return Binding(None, self.closed)


@dataclass(frozen=True)
class Expansion:
    text: str
    unresolved: tuple[str, ...] = ()  # names used as $NAME or ${NAME} that had no value
    certain: bool = True  # False when an uncertain variable took part


def go_trim_space(text: str) -> str:
    """strings.TrimSpace, which the builder uses on instruction text."""
    start, end = 0, len(text)
    while start < end and text[start] in GO_SPACES:
        start += 1
    while end > start and text[end - 1] in GO_SPACES:
        end -= 1
    return text[start:end]


def go_lower(text: str) -> str:
    """strings.ToLower: one rune to one rune (Python's str.lower turns U+0130 into two)."""
    return "".join("i" if ch == "\u0130" else ch.lower() for ch in text)


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L")


def _is_digit(ch: str) -> bool:
    return unicodedata.category(ch) == "Nd"


class _Lexer:
    def __init__(self, word: str, scope: Scope, escape: str):
        # Go's text/scanner skips a byte-order mark at the very start of the word.
        self.text = word[1:] if word.startswith("\ufeff") else word
        self.pos = 0
        self.scope = scope
        self.escape = escape
        self.unresolved: list[str] = []
        self.certain = True

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else _EOF

    def next(self) -> str:
        ch = self.peek()
        if ch:
            self.pos += 1
        return ch

    def process_stop_on(self, stop: str) -> str:
        result: list[str] = []
        while self.peek() != _EOF:
            ch = self.peek()
            if stop and ch == stop:
                self.next()
                return "".join(result)
            if ch == "'":
                result.append(self.single_quote())
            elif ch == '"':
                result.append(self.double_quote())
            elif ch == "$":
                result.append(self.dollar())
            else:
                ch = self.next()
                if ch == self.escape:
                    ch = self.next()
                    if ch == _EOF:
                        break
                result.append(ch)
        if stop:
            raise ShellWordError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result)

    def single_quote(self) -> str:
        self.next()
        result: list[str] = []
        while True:
            ch = self.next()
            if ch == _EOF:
                raise ShellWordError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                return "".join(result)
            result.append(ch)

    def double_quote(self) -> str:
        self.next()
        result: list[str] = []
        while True:
            ch = self.peek()
            if ch == _EOF:
                raise ShellWordError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self.next()
                return "".join(result)
            if ch == "$":
                result.append(self.dollar())
                continue
            ch = self.next()
            if ch == self.escape:
                following = self.peek()
                if following == _EOF:
                    continue
                if following in ('"', "$", self.escape):
                    ch = self.next()
            result.append(ch)

    def get(self, name: str, plain: bool) -> str:
        binding = self.scope.lookup(name)
        # Go's and Python's Unicode tables differ in age: a name with other letters than ASCII
        # could be cut at another place by the builder, so its value is not trusted.
        if not binding.certain or not name.isascii():
            self.certain = False
        if binding.value is None and plain:
            self.unresolved.append(name)
        return binding.value or ""

    def is_set(self, name: str) -> bool:
        return self.scope.lookup(name).value is not None

    def dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.name()
            if not name:
                return "$"
            if not self.peek().isascii():  # where $NAME ends depends on those tables too
                self.certain = False
            return self.get(name, plain=True)
        self.next()
        if self.peek() == _EOF:
            raise ShellWordError("syntax error: missing '}'")
        if self.peek() in "{}:":
            raise ShellWordError("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            return self.get(name, plain=True)
        if ch == "?":
            word = self.modifier_word()
            value = self.get(name, plain=False)
            if not self.is_set(name):
                raise ShellWordError(f"{name}: {word or 'is not allowed to be unset'}")
            return value
        if ch == ":":
            modifier = self.next()
            word = self.modifier_word()
            value = self.get(name, plain=False)
            if modifier == "+":
                return word if value else value
            if modifier == "-":
                return value or word
            if modifier == "?":
                if not self.is_set(name):
                    raise ShellWordError(f"{name}: {word or 'is not allowed to be unset'}")
                if not value:
                    raise ShellWordError(f"{name}: {word or 'is not allowed to be empty'}")
                return value
            raise ShellWordError(f"unsupported modifier ({modifier}) in substitution")
        raise ShellWordError("missing ':' in substitution")

    def modifier_word(self) -> str:
        try:
            return self.process_stop_on("}")
        except ShellWordError:
            if self.peek() == _EOF:
                raise ShellWordError("syntax error: missing '}'") from None
            raise

    def name(self) -> str:
        name: list[str] = []
        while self.peek() != _EOF:
            ch = self.peek()
            if not name and _is_digit(ch):
                while self.peek() != _EOF and _is_digit(self.peek()):
                    name.append(self.next())
                return "".join(name)
            if not name and ch in _SPECIAL_PARAMETERS:
                return self.next()
            if not (_is_letter(ch) or _is_digit(ch) or ch == "_"):
                break
            name.append(self.next())
        return "".join(name)


def process_word(word: str, scope: Scope, escape: str = "\\") -> Expansion:
    """The one word the builder makes of `word` (ProcessWord); raises ShellWordError as it would."""
    if not _SPECIAL.intersection(word) and escape not in word:
        return Expansion(word)  # nothing to expand: most words, and the gate runs on each request
    lexer = _Lexer(word, scope, escape)
    try:
        text = lexer.process_stop_on(_EOF)
    except ShellWordError as exc:
        raise ShellWordError(f'failed to process "{word}": {exc}') from None
    return Expansion(text, tuple(dict.fromkeys(lexer.unresolved)), lexer.certain)
