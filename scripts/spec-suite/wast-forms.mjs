// Splits .wast text into its top-level forms (commands), so that one form wast2json cannot read
// can be set aside without losing the rest of the file. Knows strings, `;;` line comments and
// nested `(; ;)` block comments; nothing else of the grammar.

/**
 * @param {string} text
 * @returns {{ start: number, end: number, line: number, endLine: number }[]} offsets and 1-based lines
 */
export function topLevelForms(text) {
  const forms = [];
  let depth = 0;
  let line = 1;
  let start = -1;
  let startLine = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
    } else if (c === ';' && text[i + 1] === ';') {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '(' && text[i + 1] === ';') {
      let nesting = 1;
      i += 2;
      for (; i < text.length && nesting > 0; i++) {
        if (text[i] === '\n') line++;
        else if (text[i] === '(' && text[i + 1] === ';') (nesting++, i++);
        else if (text[i] === ';' && text[i + 1] === ')') (nesting--, i++);
      }
      i--;
    } else if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '\n') line++;
      }
    } else if (c === '(') {
      if (depth === 0) (start = i, startLine = line);
      depth++;
    } else if (c === ')') {
      depth--;
      if (depth === 0) forms.push({ start, end: i + 1, line: startLine, endLine: line });
      if (depth < 0) depth = 0; // stray parenthesis: wast2json will say where
    }
  }
  return forms;
}

/** `(module $name …` → `$name`; undefined for unnamed modules and other forms. */
export function moduleName(formText) {
  const match = /^\(\s*module\s+(\$[^\s()";]+)/.exec(formText);
  return match?.[1];
}

export function isModuleForm(formText) {
  return /^\(\s*module\b/.test(formText);
}

/** Text of the same number of lines, with nothing in it: keeps every later line number. */
export function blankOut(formText) {
  return formText.replace(/[^\n]/g, ' ');
}

/** A wast string literal for arbitrary text (UTF-8 bytes outside printable ASCII escaped). */
export function wastString(text) {
  let out = '"';
  for (const byte of new TextEncoder().encode(text)) {
    if (byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c) out += String.fromCharCode(byte);
    else out += '\\' + byte.toString(16).padStart(2, '0');
  }
  return out + '"';
}
