/* archive-ingest site: search and filters over the grid, offline.
 *
 * The keys of every record were computed by archive-ingest (site/search_keys.py) and come
 * in search-index.js as ARCHIVE_SEARCH_INDEX. Here only the query is folded, by a port of
 * text/fold.py: words() and translitKey() must give what the Python functions give
 * (tests/test_site.py checks them against each other in the browser).
 *
 * Search shows and hides the cards already on the page; it never writes record text into
 * the page, so nothing from a caption can become markup.
 */
(function () {
  "use strict";

  var INDEX = window.ARCHIVE_SEARCH_INDEX || null;
  var APOSTROPHES = "ʼ'’‘`ʻ´";
  var WORD = /[\p{L}\p{N}]+/gu;
  var MARK = /\p{M}/u;
  var LATIN = /\p{Script=Latin}/u;
  var LETTER = /\p{L}/u;
  var CYRILLIC = /[\u0400-\u04ff]/;
  var LATIN_AZ = /[a-z]/;
  var HANGUL = /[\uac00-\ud7a3]/;

  // -- fold.fold / fold.words -------------------------------------------------------
  function fold(text) {
    var out = "";
    for (var ch of text.normalize("NFKC").normalize("NFC").toLowerCase()) {
      if (APOSTROPHES.indexOf(ch) >= 0 || MARK.test(ch)) continue;
      if (ch === "ё") { out += "е"; continue; }
      if (ch > "\x7f" && LATIN.test(ch)) ch = ch.normalize("NFD").replace(/\p{M}/gu, "");
      out += ch;
    }
    return out;
  }

  function oneSyllable(word) {
    return word.length === 1 && HANGUL.test(word);
  }

  function joinSplitHangul(list) {
    var out = [], run = [];
    list.concat([""]).forEach(function (word) {
      if (oneSyllable(word)) { run.push(word); return; }
      if (run.length > 1) out.push(run.join("")); else out.push.apply(out, run);
      run = [];
      if (word) out.push(word);
    });
    return out;
  }

  // Hangul folded on its jamo: tense initials plain, the initial-sound rule (두음법칙).
  var PLAIN_INITIAL = {1: 0, 4: 3, 8: 7, 10: 9, 13: 12};
  var Y_VOWELS = [2, 3, 6, 7, 12, 17, 20];
  function foldHangul(word) {
    var out = "", previousFinal = null;
    for (var ch of word) {
      var code = ch.codePointAt(0) - 0xac00;
      if (code < 0 || code >= 11172) { out += ch; previousFinal = null; continue; }
      var initial = Math.floor(code / 588), medial = Math.floor((code % 588) / 28), final = code % 28;
      if (initial in PLAIN_INITIAL) initial = PLAIN_INITIAL[initial];
      if (previousFinal === null) {
        if (initial === 5) initial = 2;
        if (initial === 2 && Y_VOWELS.indexOf(medial) >= 0) initial = 11;
      } else if (initial === 5 && (medial === 6 || medial === 17) && final === 8 &&
                 (previousFinal === 0 || previousFinal === 4)) {
        initial = 11;
      }
      out += String.fromCharCode(0xac00 + initial * 588 + medial * 28 + final);
      previousFinal = final;
    }
    return out;
  }

  function foldWord(word) {
    if (CYRILLIC.test(word) && LATIN_AZ.test(word) && INDEX) {
      word = Array.from(word, function (ch) { return INDEX.lookalikes[ch] || ch; }).join("");
    }
    return HANGUL.test(word) ? foldHangul(word) : word;
  }

  function words(text) {
    return joinSplitHangul(fold(text).match(WORD) || []).map(foldWord);
  }

  // -- fold.translit_keys -------------------------------------------------------------
  // Russian: iuliia's Wikipedia schema, its tables exported by archive-ingest.
  function russianLetters(word, scheme) {
    var out = "", letters = Array.from(word);
    letters.forEach(function (curr, i) {
      var prev = i > 0 ? letters[i - 1] : "", next = i + 1 < letters.length ? letters[i + 1] : "";
      var letter = scheme.prev[prev + curr];
      if (letter === undefined) letter = scheme.next[curr + next];
      if (letter === undefined) letter = scheme.map[curr];
      out += letter === undefined ? curr : letter;
    });
    return out;
  }

  function russian(word) {
    var scheme = INDEX.russian, letters = Array.from(word);
    if (letters.length > 2) {
      var ending = scheme.ending[letters.slice(-2).join("")];
      if (ending) return russianLetters(letters.slice(0, -2).join(""), scheme) + ending;
    }
    return russianLetters(word, scheme);
  }

  // Korean: Revised Romanization as the korean-romanizer package applies it (its
  // pronunciation rules between syllables, then its letter tables). Jamo by index.
  var ONSET = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"];
  var VOWEL = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
               "wi", "yu", "eu", "ui", "i"];
  var CODA = {0: "", 1: "k", 4: "n", 7: "t", 8: "l", 16: "m", 17: "p", 21: "ng"};
  var NEUTRAL = {2: 1, 24: 1, 3: 1, 9: 1, 19: 7, 20: 7, 22: 7, 23: 7, 25: 7, 26: 17, 18: 17, 14: 17, 5: 4,
                 11: 8, 12: 8, 13: 8, 10: 16};
  var WITHOUT_H = {6: 4, 15: 8, 27: 0};
  var ASPIRATED = {0: 15, 3: 16, 12: 14, 9: 10};
  var DOUBLE_FINAL = {3: [1, 19], 5: [4, 22], 6: [4, 27], 9: [8, 1], 10: [8, 16], 11: [8, 17], 12: [8, 20],
                      13: [8, 25], 14: [8, 26], 15: [8, 27], 18: [17, 19]};
  var FINAL_TO_INITIAL = {1: 0, 2: 1, 4: 2, 7: 3, 8: 5, 16: 6, 17: 7, 19: 9, 20: 10, 21: 11, 22: 12, 23: 14,
                          24: 15, 25: 16, 26: 17, 27: 18};
  var NULL_INITIAL = 11;

  function romanizeHangul(word) {
    var syllables = Array.from(word, function (ch) {
      var code = ch.codePointAt(0) - 0xac00;
      if (code < 0 || code >= 11172) return {ch: ch};
      return {ini: Math.floor(code / 588), med: Math.floor((code % 588) / 28), fin: code % 28};
    });
    syllables.forEach(function (s, i) {
      var n = syllables[i + 1];
      if (s.ch !== undefined || !s.fin) return;
      var beforeC = n !== undefined && n.ini !== NULL_INITIAL;  // a non-Hangul character counts as a consonant
      var beforeV = n !== undefined && n.ini === NULL_INITIAL;
      if (n === undefined || beforeC) {
        if (s.fin in NEUTRAL) s.fin = NEUTRAL[s.fin];
      }
      if (s.fin === 27 || s.fin === 6 || s.fin === 15) {
        if (n === undefined) s.fin = WITHOUT_H[s.fin];
        else if (n.ini in ASPIRATED) { s.fin = WITHOUT_H[s.fin]; n.ini = ASPIRATED[n.ini]; }
        else if (n.ini === 2) s.fin = s.fin === 27 ? 4 : WITHOUT_H[s.fin];
        else if (n.ini === NULL_INITIAL) s.fin = WITHOUT_H[s.fin];
        else if (n.ini === 5) { if (s.fin === 15) s.fin = 8; }
        else if (s.fin === 27) s.fin = 0;
      }
      if (s.fin in DOUBLE_FINAL && n !== undefined && n.ini === NULL_INITIAL) {
        var pair = DOUBLE_FINAL[s.fin];
        s.fin = pair[0];
        n.ini = FINAL_TO_INITIAL[pair[1]];
      }
      if (beforeV && n.ini === NULL_INITIAL && s.fin !== 21 && s.fin !== 0) {
        n.ini = FINAL_TO_INITIAL[s.fin];
        s.fin = 0;
      }
    });
    return syllables.map(function (s) {
      if (s.ch !== undefined) return s.ch;
      return ONSET[s.ini] + VOWEL[s.med] + (CODA[s.fin] || "");
    }).join("");
  }

  function replaceAll(text, pairs) {
    pairs.forEach(function (pair) { text = text.split(pair[0]).join(pair[1]); });
    return text;
  }

  function undouble(text) {
    return text.replace(/(.)\1+/g, "$1");
  }

  // text/names/parts.latin_key, then fold._reduce.
  function latinKey(word) {
    var w = word.toLowerCase().normalize("NFKD").replace(/[^a-z]/g, "");
    w = undouble(replaceAll(w, [["x", "ks"], ["yo", "e"], ["kh", "h"], ["sh", "s"], ["y", "i"]]));
    return undouble(w.replace(/i(?=[aeiou])/g, ""));
  }

  function reduce(latin) {
    var key = latinKey(replaceAll(latin.toLowerCase(), [["eo", "o"], ["eu", "u"]]));
    return undouble(replaceAll(key, [["ng", "n"], ["ui", "i"], ["g", "k"], ["d", "t"], ["b", "p"]]));
  }

  function translitKeys(word) {
    if (!LETTER.test(word)) return [];
    var keys;
    if (HANGUL.test(word)) {
      keys = [reduce(romanizeHangul(word))];
      var letters = Array.from(word);
      if (letters.length > 1) letters.forEach(function (ch) { keys.push(reduce(romanizeHangul(ch))); });
    } else if (CYRILLIC.test(word)) {
      keys = [reduce(russian(word))];
    } else if (/^[\x00-\x7f]*$/.test(word)) {
      keys = [reduce(word)];
    } else {
      keys = [reduce(word.normalize("NFKD").replace(/[^\x00-\x7f]/g, ""))];
    }
    return keys.filter(function (key, i) { return key && keys.indexOf(key) === i; });
  }

  // -- matching ---------------------------------------------------------------------------
  function matcher(query) {
    var folded = words(query);
    var placeOnly = folded.length > 0 && INDEX.sites.indexOf(folded.join(" ")) >= 0;
    var terms = folded.map(function (word) {
      var keys = placeOnly ? [] : translitKeys(word);
      return {word: " " + word, key: keys.length ? " " + keys[0] : null};
    });
    return function (entry) {
      return terms.every(function (t) {
        return entry.w.indexOf(t.word) >= 0 || (t.key !== null && entry.k.indexOf(t.key) >= 0);
      });
    };
  }

  window.ArchiveSearch = {fold: fold, words: words, translitKeys: translitKeys, romanizeHangul: romanizeHangul};

  // -- the page ---------------------------------------------------------------------------
  function start() {
    var form = document.getElementById("finder");
    var grid = document.getElementById("grid");
    if (!form || !grid || !INDEX || INDEX.version !== 1) return;
    var entries = {};
    INDEX.records.forEach(function (row) { entries[row[0]] = {w: " " + row[1], k: " " + row[2]}; });
    var cards = Array.prototype.slice.call(grid.querySelectorAll(".card"));
    var input = document.getElementById("q");
    var hits = document.getElementById("hits");
    var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-facet]"));
    var facetOf = {places: "place", kinds: "kind", status: "status"};

    function update() {
      var matches = matcher(input.value);
      var shown = 0;
      cards.forEach(function (card) {
        var ok = selects.every(function (select) {
          var want = select.value, facet = select.getAttribute("data-facet");
          if (!want) return true;
          if (facet === "decades") return (" " + card.getAttribute("data-decades") + " ").indexOf(" " + want + " ") >= 0;
          return card.getAttribute("data-" + facetOf[facet]) === want;
        });
        var entry = entries[card.getAttribute("data-id")];
        ok = ok && entry !== undefined && matches(entry);
        card.hidden = !ok;
        if (ok) shown += 1;
      });
      hits.textContent = shown === cards.length ? cards.length + " records" : shown + " of " + cards.length + " records";
    }

    form.hidden = false;
    form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
    input.addEventListener("input", update);
    selects.forEach(function (select) { select.addEventListener("change", update); });
    update();
  }

  start();
})();
