// make_tokenizer_cases.mjs - writes the expected GPT-2 token ids that
// tests/check_tokenizer.c compares argen against, from an independent
// tokenizer: js-tiktoken's "gpt2" encoding (pinned in package.json).
//
//   cd tests/ref && npm ci && node make_tokenizer_cases.mjs ../data/tokenizer_cases.json
//
// Texts are JSON strings, so they are valid UTF-8 (invalid bytes are tested
// by round trip in the C suite instead).  They avoid U+0085 and U+FEFF: for
// those two, JavaScript's \s differs from GPT-2's (Python `regex` White_Space):
// JS counts U+FEFF as space and U+0085 not; check_tokenizer.c tests them by hand.
import { writeFileSync, readFileSync } from "node:fs";
import { getEncoding } from "js-tiktoken";

const enc = getEncoding("gpt2");
const version = JSON.parse(readFileSync(new URL("./node_modules/js-tiktoken/package.json", import.meta.url))).version;

const LONG = [
  "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
  "However little known the feelings or views of such a man may be on his first entering a neighbourhood, this truth is so",
  "well fixed in the minds of the surrounding families, that he is considered the rightful property of some one or other",
  "of their daughters.\n\n\"My dear Mr. Bennet,\" said his lady to him one day, \"have you heard that Netherfield Park is let at last?\"",
  "\nMr. Bennet replied that he had not.\n\"But it is,\" returned she; \"for Mrs. Long has just been here, and she told me all about it.\"",
  "\nMr. Bennet made no answer.  \"Do you not want to know who has taken it?\" cried his wife impatiently.",
  "\n\"You want to tell me, and I have no objection to hearing it.\"\r\nThis was invitation enough.\t(1813)  -- 2,000,000 copies; 3.14159 ...",
].join(" ");

const cases = [
  ["empty", ""],
  ["hello", "Hello world"],
  ["contractions lower", "it's don't we're they've I'm we'll he'd"],
  ["contractions upper", "IT'S DON'T WE'RE THEY'VE I'M WE'LL HE'D"],
  ["contractions mixed", "It'S don'T We'Re 's 't 're 've 'm 'll 'd 'x ''s"],
  ["apostrophes", "rock 'n' roll, o'clock, '90s, 'tis, ' s"],
  ["spaces runs", "a b  c   d    e     f"],
  ["leading spaces", "    indented"],
  ["trailing spaces", "trailing   "],
  ["only spaces", "     "],
  ["single space", " "],
  ["tabs", "a\tb\t\tc \t d\t"],
  ["newlines", "line one\nline two\n\nline four\n\n\n"],
  ["crlf", "first\r\nsecond\r\n\r\nthird\r\n"],
  ["mixed whitespace", " \n \t\r\n  x \u000b\u000c y"],
  ["unicode spaces", "a\u00a0b\u2003c\u3000d\u2028e\u2029f\u202fg\u205fh\u1680i \u00a0 j"],
  ["numbers", "0 1 12 123 1234 12345 3.14 -7 1e10 1,000,000 2024-06-01 0x1F"],
  ["numbers glued", "abc123def 123abc 4th 21st"],
  ["unicode numbers", "\u00bd \u00b2\u00b3 \u2160\u2161 \u0663\u0664 \u0968\u0969 \u4e00\u4e8c"],
  ["punctuation runs", "Wait... what?!? (yes) [no] {maybe} <tag/> --- *** ### @user #tag $5 100% a&b"],
  ["punctuation spaced", " . , ; : ! ? \" ' ` ~ ^ | \\ / "],
  ["code", "int main(void) {\n    return x->y[0] != NULL && *p++;\n}\n"],
  ["emoji", "I \u2764\ufe0f GPT \ud83d\ude00\ud83d\ude80 \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67 \ud83c\uddeb\ud83c\uddf7 \ud83d\udc4d\ud83c\udffd"],
  ["cjk", "\u4f60\u597d\uff0c\u4e16\u754c\uff01\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3002\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8"],
  ["arabic", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645! \u0627\u0644\u0639\u0631\u0628\u064a\u0629\u064f \u0661\u0662\u0663"],
  ["devanagari", "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e \u0939\u093f\u0928\u094d\u0926\u0940 \u0967\u0968\u0969"],
  ["combining marks", "e\u0301 n\u0303 a\u0308\u0304 \u0301alone x\u20dd Z\u0351\u0360\u034bA\u0317\u0354L\u0323G\u032bO\u0315"],
  ["accented latin", "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00fcber Stra\u00dfe \u00c5ngstr\u00f6m \u0141\u00f3d\u017a \u0130stanbul"],
  ["greek cyrillic", "\u0391\u03b8\u03ae\u03bd\u03b1 \u041c\u043e\u0441\u043a\u0432\u0430 \u043f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!"],
  ["eot inside", "Hello<|endoftext|>World <|endoftext|> x<|endoftext|><|endoftext|>"],
  ["eot at ends", "<|endoftext|>start and end<|endoftext|>"],
  ["eot broken", "<|endoftext| <endoftext|> <|endoftext|"],
  ["eot spaces", "a  <|endoftext|>  b"],
  ["long english", LONG],
];

// Deterministic "soup" of characters from every class the pattern knows.
const POOL = [..."aZ\u00e9\u00df\u4e2d\u0416\u05d0\u0905\u0300\u0301\u200d09\u00b2\u0665\u2167 \t\n\r\u00a0\u3000\u2009!?.,'\"-_()\u20ac\u00a9\u2603",
              "\ud83d\ude00", "\ud83c\udf89", "'s", "'ll", "'T", " ", "  ", "\r\n", "<|endoftext|>"];
let state = 12345;
const next = () => (state = (state * 1103515245 + 12345) % 2147483648);
for (let k = 0; k < 40; k++) {
  let s = "";
  const n = 1 + (next() % 40);
  for (let i = 0; i < n; i++) s += POOL[next() % POOL.length];
  cases.push([`soup ${k}`, s]);
}

const out = { generator: "tests/ref/make_tokenizer_cases.mjs", reference: `js-tiktoken ${version}, encoding gpt2`, cases: [] };
for (const [name, text] of cases) {
  if (/[\u0085\ufeff]/.test(text)) throw new Error(`${name}: U+0085 / U+FEFF differ between JS and GPT-2`);
  out.cases.push({ name, text, allow_special: true, ids: enc.encode(text, "all") });
  if (text.includes("<|endoftext|>")) out.cases.push({ name: name + " (no special)", text, allow_special: false, ids: enc.encode(text, [], []) });
}
writeFileSync(process.argv[2] ?? "../data/tokenizer_cases.json", JSON.stringify(out, null, 1) + "\n");
console.log(`${out.cases.length} cases`);
