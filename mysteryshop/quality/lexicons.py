"""Phrase patterns the rules engine looks for, one compiled regex per idea.

All patterns run on folded text (lower case, no accents, straight quotes; see `text.fold`),
and are written in lower case.
They are MULTILINE so one search over a reply's sentences joined by newlines can rule a
pattern out before any sentence is looked at one by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]


class Phrases:
    """A compiled pattern that is only tried where one of its possible first words appears.

    Python's `re` tries every alternative of a long alternation at every word start; finding the
    few places where a match could begin (with a small regex of literal prefixes, worked out from
    the pattern itself) and matching only there is several times faster, and gives the same
    matches: when the prefixes cannot be worked out, the plain search is used.
    """

    __slots__ = ("regex", "search", "_at", "_after_non_word")

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        self.search: Callable[[str], re.Match[str] | None] = regex.search
        prefixes = first_literals(regex.pattern, regex.flags)
        if not prefixes or regex.pattern.startswith("^"):
            return  # no known first words, or anchored: as quick plainly
        lookahead = starts_with_one_of(prefixes)
        if not regex.pattern.startswith(r"\b") or not all(w[0].isalnum() for w in prefixes):
            self.search = re.compile(lookahead + "(?:" + regex.pattern + ")", regex.flags).search
            return
        self._at = re.compile(r"\b" + lookahead + "(?:" + regex.pattern + ")", regex.flags).match
        # starting with a consumed non-word character lets `re` skip from one non-word character
        # to the next in C, instead of trying a match at every position
        self._after_non_word = re.compile(r"\W" + lookahead + "(?:" + regex.pattern + ")", regex.flags).search
        self.search = self._search_word_starts

    def _search_word_starts(self, text: str) -> re.Match[str] | None:
        """Every match starts a word (the pattern starts with \\b and its prefixes with a letter or digit): at the start of
        `text`, or just after a non-word character. The match is then taken again from where it starts,
        so it is the very match object a plain search returns (lookbehinds and \\b see what is before)."""
        hit = self._at(text)
        if hit is not None:
            return hit
        lead = self._after_non_word(text)  # type: ignore[misc]
        return None if lead is None else self._at(text, lead.start() + 1)

    def match(self, text: str) -> re.Match[str] | None:
        return self.regex.match(text)

    def sub(self, replacement: str, text: str) -> str:
        """`regex.sub`, which is slow (every position tried), only when the quick search finds something."""
        return text if self.search(text) is None else self.regex.sub(replacement, text)


def first_literals(pattern: str, flags: int = 0) -> set[str] | None:
    """Literal prefixes (up to four characters) that every match of `pattern` starts with, or None when unknown."""
    prefixes = _first_literals(list(_parser.parse(pattern, flags).data))
    return prefixes if prefixes and all(prefixes) else None


def starts_with_one_of(prefixes: set[str]) -> str:
    """A lookahead that holds where one of `prefixes` starts; as a lookahead, candidates may overlap
    ("we confirm": both "we c" and "conf")."""
    return "(?=" + _trie(prefixes) + ")"


def _trie(words: set[str]) -> str:
    """An alternation of `words` as a regex that branches one character at a time: 'in a|in 3|inte' as
    'in(?:\\ (?:3|a)|te)'. Only ever used in a lookahead, so a word that another word extends ends the branch."""
    tree: dict[str, dict] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_regex(tree)


def _trie_regex(node: dict[str, dict]) -> str:
    if "" in node:
        return ""
    branches = [re.escape(char) + _trie_regex(child) for char, child in sorted(node.items())]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


_DIGITS = frozenset("0123456789")
_MAX_PREFIX = 4


def _first_literals(items: list, i: int = 0) -> set[str] | None:
    """Literal prefixes every match of `items[i:]` starts with, or None when that is not known."""
    run = ""
    while i < len(items):
        op, av = items[i]
        rest = items[i + 1 :]
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            i += 1
            continue
        if op is _c.LITERAL:
            run += chr(av)
            if len(run) >= _MAX_PREFIX:
                return {run}
            i += 1
            continue
        if run:
            longer = _first_literals(items, i) if op in (_c.SUBPATTERN, _c.BRANCH, _c.IN, _c.MAX_REPEAT, _c.MIN_REPEAT) else None
            return {(run + tail)[:_MAX_PREFIX] for tail in longer} if longer else {run}
        if op is _c.SUBPATTERN:
            return _first_literals(list(av[3].data) + rest)
        if op is _c.BRANCH:
            found: set[str] = set()
            for branch in av[1]:
                got = _first_literals(list(branch.data) + rest)
                if got is None:
                    return None
                found |= got
            return found
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, _high, sub = av
            first = _first_literals(list(sub.data) + rest)
            if low >= 1 or first is None:
                return first
            skipped = _first_literals(items, i + 1)
            return None if skipped is None else first | skipped
        if op is _c.IN:
            chars: set[str] = set()
            for kind, value in av:
                if kind is _c.LITERAL:
                    chars.add(chr(value))
                elif kind is _c.CATEGORY and value is _c.CATEGORY_DIGIT:
                    chars |= _DIGITS
                else:
                    return None
            return chars
        return None
    return {run} if run else None


def _rx(pattern: str) -> Phrases:
    """Compile for folded text: case-sensitive (the text is already lower case) and tried only at
    word starts; both make the long alternations about three times faster."""
    if not pattern.startswith("^"):
        pattern = rf"\b(?:{pattern})"
    return Phrases(re.compile(pattern, re.VERBOSE | re.MULTILINE))


_DAYS = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"

GREETING = _rx(r"^(hi|hello|hey|dear|good\ (morning|afternoon|evening)|greetings|bonjour|hallo|hola)\b[^.!?]{0,60}[,!:.]?$")
GENERIC_GREETING = _rx(
    r"\b(dear|hi|hello)\ (valued\ |sir|madam|sir/madam|sir\ or\ madam|customer|client|member|guest|passenger|user|account\ holder|team|there|friend)"
)

ACKNOWLEDGES = _rx(
    r"""thank(s|\ you)(\ (so|very)\ much)?\ for\ ((your|the)\ (e-?mail|message|enquiry|inquiry|query|question|request|note|ticket|submission|letter|report|complaint|call|chat|form|feedback|photos?|screenshots?|details|information|update|reply|comments?)
        |contacting|reaching\ out|getting\ in\ touch|writing|asking|telling|reporting|chasing|following\ up|letting\ us\ know|bringing\ this|flagging|raising|sending|sharing|explaining|your\ patience\ while)
    |(we|i)('ve|\ have)?\ (received|got|recieved)\ (your|the\ (details|photos?|form|message))
    |we\ (have|'ve)\ now\ received
    |your\ (message|request|e-?mail|enquiry|inquiry|ticket|case|query|complaint|form|submission)\ (has\ been|was|is)\ (received|logged|created|registered|forwarded|escalated|assigned|with\ us)
    |this\ is\ to\ (confirm|acknowledge)
    |(acknowledge|confirm)\ (receipt|that\ we('ve|\ have)\ received)
    |(ticket|case|request|reference)\ (number|no\.?|\#|id|ref)\s*:?\s*\#?[a-z]*-?\d{3,}
    |(we|i)('ve|\ have)?\ (read|looked\ (in)?to|reviewed|checked)\ ((your|the)\ )?(message|e-?mail|request|question|enquiry|inquiry|ticket|case|account|order|booking|claim|reservation|file)""")

STALLING = _rx(
    rf"""(please\ )?allow\ (up\ to\ )?(\d+|one|two|three|five|seven|ten)(\s*(-|to)\s*\d+)?\ (business\ |working\ )?(hours|days|weeks)
    |(we|one\ of\ our\ (agents|team|advisors|representatives|specialists)|a\ member\ of\ (our|the)\ team|someone|an?\ (agent|advisor|representative))\ will\ (get\ back\ to\ you|respond|reply|be\ in\ touch|contact\ you|review\ your\ (request|message|ticket))\ (as\ soon\ as\ (possible|we\ can)|shortly|soon|in\ due\ course|within|at\ the\ earliest)
    |(due\ to|we\ are\ (currently\ )?experiencing|we're\ (currently\ )?experiencing)\ (a\ |an\ )?(high|higher\ than\ (usual|normal|expected)|unusually\ high|increased|heavy)\ (volume|demand|number|levels)
    |this\ is\ an\ automated\ (response|reply|message|e-?mail|acknowledg)
    |(do\ not|please\ don't|don't)\ reply\ to\ this\ (e-?mail|message)
    |(we|our\ team)\ (aim|endeavour|endeavor|strive|try)\ to\ (respond|reply|get\ back|answer)
    |in\ the\ order\ (it\ was|they\ were|they\ are|it\ is)\ received
    |\bwill\ (get\ back\ to\ you|respond|reply|be\ in\ touch|contact\ you)(\ to\ you)?\ (as\ soon\ as|shortly|soon|in\ due\ course|within|at\ the\ earliest)
    |(has|have)\ been\ (forwarded|passed|referred|sent)\ (on\ )?to\ (the|our)\ (relevant|appropriate|correct|right)\ (department|team)
    |(response|reply)\ times?\ (are|is)\ (currently\ )?(longer|delayed|slower)
    |your\ (ticket|request|case|message)\ (has\ been|was|is)\ (added\ to|placed\ in|in)\ (our|the)\ queue""")

NON_SUBSTANCE = _rx(
    r"""^(thank(s|\ you)|we\ appreciate\ your\ patience|we\ (value|appreciate)\ your\ (business|custom|patience)|your\ (message|call|satisfaction|patience)\ is\ (important|appreciated)
    |we\ apologi[sz]e\ for\ (any|the)\ (inconvenience|delay)|sorry\ for\ (any|the)\ (inconvenience|delay)
    |if\ you\ have\ (any\ )?(other|further|more)\ questions|have\ a\ (great|nice|good|lovely)\ (day|week|weekend|evening)
    |in\ the\ meantime|you\ (may|might|can)\ (also\ )?find\ (the\ )?answers?|(visit|check|see)\ our\ (help|faq|support|knowledge)
    |(ticket|case|reference|request)\ (number|no|\#|id|ref)|this\ (mailbox|inbox|address|line)\ is\ (not\ )?(monitored|staffed|open)
    |(for|if\ (your|it|this)\ (query|matter|issue|request)\ is)\ urgent|for\ urgent\ (matters|queries|issues)|we\ hope\ to\ (welcome|see|hear)
    |kind\ regards|best\ regards|regards|sincerely|the\ .{0,40}\ team$)""")

MARKETING = _rx(
    r"""\d+\s?%\ off|save\ (up\ to\ )?\d+\s?%|(discount|promo|promotion|coupon|voucher)\ code|use\ (the\ )?code\ [a-z0-9]{4,}
    |(check\ out|discover|explore|shop|browse)\ (our|the)\ (new\ |latest\ |summer\ |winter\ |spring\ |autumn\ |holiday\ |exclusive\ |full\ |black\ friday\ )*(collection|range|sale|deals|offers|products|arrivals|catalogue|catalog|line-?up|store)
    |(sign\ up|subscribe)\ (to|for)\ (our|the)\ (newsletter|mailing\ list)|join\ (our|the)\ (loyalty|rewards|vip|membership)
    |follow\ us\ on|download\ (our|the)\ (new\ |free\ )?app|(upgrade|switch)\ (now\ )?to\ (our\ )?(premium|pro|plus|business|unlimited|gold|platinum|annual)
    |limited[-\ ]time\ (offer|only|deal)|(special|exclusive)\ (offer|deal|discount|promotion)s?|don't\ miss\ (out|our)|refer\ a\ friend
    |black\ friday|cyber\ monday|flash\ sale|new\ arrivals|shop\ now|while\ stocks\ last|book\ now\ and\ save
    |did\ you\ know\ (that\ )?(we|our)\ (also\ )?(offer|have|sell)|(earn|collect)\ (double\ )?(points|miles|rewards)\ (on|when|with)""")
GOODWILL = _rx(
    r"as\ an?\ (apology|goodwill|gesture)|(goodwill|gesture\ of)|to\ make\ up\ for|by\ way\ of\ (an\ )?apology|for\ the\ (trouble|inconvenience|hassle|delay)|(applied|added|credited)\ (a|an|to)\ ")

EMPATHY = _rx(
    r"""\bsorry\b|\bapologi[sz]e|\bapologies\b|i\ (completely\ |totally\ |fully\ |really\ )?understand\ (how|that|why|your|what)|i\ can\ (only\ )?imagine
    |(must|must\ have)\ (be|been)\ (so\ |really\ |very\ )?(frustrating|stressful|worrying|upsetting|annoying|difficult|disappointing|hard|awful|a\ worry|frightening|scary)
    |(sounds|is|was)\ (so\ |really\ |very\ |incredibly\ )?(frustrating|stressful|worrying|upsetting|annoying|disappointing|awful|scary|alarming|frightening|unsettling)
    |i('d|\ would)\ be\ (frustrated|upset|annoyed|worried)\ too|what\ a\ (shame|pain|hassle|disappointing|frustrating)|not\ the\ experience\ (we|you)
    |you\ shouldn't\ have\ (had\ )?to|shouldn't\ have\ happened|we\ let\ you\ down|understandabl[ey]\ (frustrat|upset|concern|worr)
    |(annoying|frustrating|stressful|worrying|upsetting|frightening)\ (when|for\ you|thing)""")
BOILERPLATE_EMPATHY = _rx(
    r"""(apologi[sz]e|sorry|apologies)\ for\ any\ (inconvenience|trouble|frustration|disappointment|confusion)(\ (this|that|it)\ (may|might)\ (have|has)?\s?(caused|cause))?
    |we\ apologi[sz]e\ for\ the\ inconvenience|sorry\ for\ the\ inconvenience|we\ value\ your\ (business|custom)|is\ important\ to\ us
    |we\ understand\ your\ (concern|frustration)s?\.?$|thank\ you\ for\ your\ (patience|understanding)""")
GENERIC_SITUATION_WORDS = frozenset(
    "inconvenience issue problem concern experience trouble matter situation help contact email message question hear "
    "sorry understand frustrat thank time day support service team customer please know get like would need "
    "apolog happen caus reach back go make sure".split()
)
CUSTOMER_EXPERIENCE = _rx(
    r"""\byou('ve|\ have|\ had|'d|\ were|'re|\ are)?\ (been\ (waiting|charged|left|without|trying|locked|billed)|had\ to|waited|lost|missed)
    |\byou\ should\ have\ been|\bnobody\ wants|\bno\ fun\b|\bnot\ good\ enough\b|\byou're\ (safe|away|hungry)""")

_STEP_VERBS = (r"(send|e-?mail|call|contact|process|refund|issue|ship|dispatch|replace|update|follow\ up|get\ back|be\ in\ touch|review|investigate|look\ into"
               r"|credit|arrange|reply|respond|let\ you\ know|notify|keep\ you|book|schedule|reverse|cancel|escalate|chase|check|confirm|post|reset|waive|remove"
               r"|restore|reactivate|pick|collect|reach\ out|meet|visit|text|arrive|reach\ you|be\ (with\ you|credited|refunded|delivered|sent|dispatched|available|processed|restored|released|reviewed|in\ touch|in\ contact)"
               r"|show|appear|take|receive|hear|switch|move|expire|renew|start|begin|close|open|release|pay|deliver|install|repair|fix|test|come)")
NEXT_STEP = _rx(
    rf"""\b(we|i)('ll|\ will|'re\ going\ to|\ am\ going\ to|'m\ going\ to|\ are\ going\ to)\ (?!be\ (happy|glad|pleased|delighted)|always|never|not)(now\ |then\ |also\ |just\ )?\w+
    |\bwill\ (now\ |then\ |also\ )?{_STEP_VERBS}\b|\b(may|might)\ (contact|call|email|e-mail|text)\ you
    |you('ll|\ will|\ should)\ (then\ |also\ |now\ |still\ )?(receive|get|see|hear|keep|continue|be\ (contacted|notified|emailed|refunded|charged|able|met))
    |next\ steps?|what\ happens\ next|here's\ what|once\ (we|you|it|the|your|this)|as\ soon\ as\ (we|it|the|your)
    |(has|have)\ (now\ )?been\ (escalated|scheduled|booked|arranged|dispatched|issued|processed|sent\ (to\ you|out|by)|raised|submitted|approved|rebooked|ordered)
    |(is|are)\ (now\ )?(scheduled|booked|on\ (its|their)\ way|being\ (processed|prepared|shipped|investigated|reviewed))|\bexpects?\ (to|a|an|it|the|your)
    |(^|(?<=[:;]\ ))(please\ |simply\ |just\ )?(reply|send|print|drop|take|visit|click|go\ to|call|bring|return|pack|log\ in|sign\ in|open|tap|select|restart|update|fill|insert|choose|enter|press|follow\ the|turn\ on|try)\ (the|your|it|this|us|to|a|an|them|our|and|with|within|any|again|back|in|on|off)\b
    |\b(please|can\ you|could\ you|would\ you)\ (reply|send|print|drop|take|visit|click|go\ to|call|bring|return|pack|log\ in|sign\ in|open|tap|select|restart|update|fill|attach|upload|provide|confirm|contact|check|try|turn\ on|submit|let\ (me|us)\ know)
    |\byou\ can\ \w+(\ \w+)?\ (from|in|at|via|under|through|using)\ (settings|the\ (app|website|page|portal)|your\ (account|app|settings)|our\ (website|app|portal|stores?|branch|branches|cash\ machines|atms?)|any\ of\ our)""")
_MONTHS = r"(january|february|march|april|may|june|july|august|september|october|november|december)"
WHEN = _rx(
    rf"""\bwithin\ (the\ next\ )?(\d+|one|two|three|four|five|seven|ten|fourteen|thirty|a|an)\b|\b(in|over)\ the\ next\ (\d+|few|couple)|\d+\s?(-|to)\s?\d+\ (business\ |working\ )?(minutes|hours|days|weeks)
    |\bup\ to\ (\d+|one|two|three|five|seven|ten)\ (business\ |working\ )?(minutes|hours|days|weeks)
    |\bby\ ({_DAYS}|tomorrow|tonight|the\ end\ of|end\ of\ (the\ )?(day|week)|close\ of\ business|\d)|\btomorrow\b|\bnext\ ({_DAYS}|week|month)|\bon\ {_DAYS}
    |\bin\ (\d+|one|two|three|five|seven|ten|a|an|a\ few|a\ couple\ of)\ (minutes?|hours?|days?|weeks?|working\ days|business\ days)\b|\bthis\ (afternoon|evening|week)\b|\blater\ today\b
    |\b(on|until|from|before|after|by)\ (the\ )?\d{{1,2}}(st|nd|rd|th)\b|\b(on|until|from|before|after|by)\ ({_MONTHS}|\d{{1,2}}\ {_MONTHS})\b""")
POLICY_DEADLINE = _rx(r"\b(can|may|must)\ (only\ )?be\b|\bif\ you\b(?!'d\ like|\ would\ like|\ want|\ prefer)")

FEEDBACK = _rx(
    r"""(let\ (me|us)\ know|tell\ (me|us))\ (once|when|whether|how)\b
    |(let\ (me|us)\ know|tell\ (me|us))\ if\ (this|that|it|these|everything|the\ [\w\ ]{1,25}?|your\ [\w\ ]{1,25}?)\ (now\ )?(has\ |have\ |is\ |are\ )?(help|solv|resolv|answer|work|fix|sort|fit|look|clear|make\ sense|do\ the\ trick)
    |(let\ (me|us)\ know|tell\ (me|us))\ if\ (you('re|\ are)\ (happy|satisfied)|you\ (still\ )?(have|need|see|get)\ (any\ )?(trouble|problem|issue|error))
    |(does|did|do)\ (this|that|these|the\ (steps|above|fix|solution|answer))\ (help|answer|resolve|solve|work|make\ sense|sort|fix)
    |(has|have)\ (this|that|the\ .{0,30})\ (help|resolv|solv|fix|work|answer|sort)|is\ (everything|it|that|your\ \w+)(\ else)?(\ [\w\ ]{1,25}?)?\ (now\ )?(working|sorted|resolved|fixed|ok|okay|alright|fine)\b
    |(how|what)\ did\ we\ do|\brate\ (your|our|this|the|us|how|the\ way)|\bsurvey\b|\b(your|any)\ feedback\b|how\ (would\ you\ rate|was\ your\ experience|satisfied)
    |(satisfied|happy)\ with\ (the|our|this|my|how)\ (service|support|help|response|answer|reply|resolution|outcome)|how\ (we\ did|we've\ handled|the\ \w+\ went|it\ went|everything\ went)
    |(has|was)\ your\ (issue|problem|question|query|request)\ (been\ )?(resolved|answered|solved|fixed)|(would|will|does)\ that\ work\ for\ you
    |if\ (this|that|it|the\ \w+)\ (doesn't|does\ not|didn't|did\ not|hasn't|has\ not)\ (help|resolve|solve|work|fix|sort|answer)
    |(reply|respond|answer)\ (with\ )?(yes|no)\b|(was|were)\ (this|we)\ (helpful|able)|(reply|write\ back)\ (to|and)\ let\ (me|us)\ know
    |check\ (that\ |if\ |whether\ )?(the|your|it|everything)[\w\ ]{0,30}\ (is|are)\ (back|working|stable|resolved|fixed|sorted|ok)""")
FEEDBACK_THANKS = _rx(r"thank(s|\ you)\ for\ (your|the)\ feedback")

REQUEST = _rx(
    r"""\b(please|kindly|could\ you|can\ you|would\ you|could\ we|can\ we|may\ (we|i)\ (have|ask)|we('ll|\ will)?\ need|i('ll|\ will)?\ need|we\ require|(let|tell)\ (us|me)|reply\ with|send\ (us|me|over)|provide|confirm|what\ is|what's|which|share|do\ you\ have|if\ you\ (can|could)\ (send|provide|share|give))\b""")
