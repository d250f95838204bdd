/* branchy: data-dependent branches a predictor cannot learn. A tokenizer
   (a state machine over character classes) runs over 16 KiB of
   pseudo-random text, counting words, numbers, strings and punctuation;
   then binary searches of pseudo-random keys in a sorted table of 4096
   words, half of them present; 120 rounds. Checks: the token lengths
   cover the text exactly; each search's answer is where the key is or
   would go. */
#include "bench.h"

#define TEXT_SIZE 16384
#define TABLE_SIZE 4096
#define SEARCHES 20000 /* a round */
#define ROUNDS 120

static char text[TEXT_SIZE] BENCH_PAGE_ALIGNED;
static u32 table[TABLE_SIZE] BENCH_PAGE_ALIGNED;

/* Random text: letters 40%, digits 15%, spaces 25%, quotes 3%,
   punctuation 17%. */
static void make_text(u32 *rng) {
    static const char punct[] = "+-*/=<>(),;{}[]!&|";
    for (u32 i = 0; i < TEXT_SIZE; i++) {
        u32 r = xorshift32(rng);
        u32 c = r & 0xff;
        r >>= 8;
        if (c < 102) {
            text[i] = (char)('a' + r % 26);
        } else if (c < 140) {
            text[i] = (char)('0' + r % 10);
        } else if (c < 204) {
            text[i] = (r & 3) ? ' ' : '\n';
        } else if (c < 212) {
            text[i] = '"';
        } else {
            text[i] = punct[r % (sizeof punct - 1)];
        }
    }
}

enum token { T_WORD, T_NUMBER, T_STRING, T_PUNCT, T_BAD_NUMBER, T_BAD_STRING, T_KINDS };

struct tally {
    u32 count[T_KINDS];
    u32 covered; /* characters in tokens and spaces */
    u32 hash;
};

static void token(struct tally *t, enum token kind, u32 len) {
    t->count[kind]++;
    t->covered += len;
    t->hash = (t->hash ^ (kind << 16 | len)) * 0x01000193u;
}

static int is_letter(char c) {
    return c >= 'a' && c <= 'z';
}

static int is_digit(char c) {
    return c >= '0' && c <= '9';
}

/* Words are letters then letters or digits; numbers are digits (a
   letter right after them makes a bad number); strings run between
   quotes on one line (a newline first makes a bad string, and so does the
   end of the text). */
static void tokenize(struct tally *t) {
    enum { SPACE, WORD, NUMBER, BAD_NUMBER, STRING } state = SPACE;
    u32 start = 0;
    for (u32 i = 0; i < TEXT_SIZE; i++) {
        char c = text[i];
        switch (state) {
        case WORD:
            if (is_letter(c) || is_digit(c)) {
                continue;
            }
            token(t, T_WORD, i - start);
            break;
        case NUMBER:
            if (is_digit(c)) {
                continue;
            }
            if (is_letter(c)) {
                state = BAD_NUMBER;
                continue;
            }
            token(t, T_NUMBER, i - start);
            break;
        case BAD_NUMBER:
            if (is_letter(c) || is_digit(c)) {
                continue;
            }
            token(t, T_BAD_NUMBER, i - start);
            break;
        case STRING:
            if (c == '"') {
                token(t, T_STRING, i + 1 - start);
                state = SPACE;
            } else if (c == '\n') {
                token(t, T_BAD_STRING, i + 1 - start);
                state = SPACE;
            }
            continue;
        case SPACE:
            break;
        }
        /* Between tokens: c starts the next one. */
        start = i;
        if (is_letter(c)) {
            state = WORD;
        } else if (is_digit(c)) {
            state = NUMBER;
        } else if (c == '"') {
            state = STRING;
        } else if (c == ' ' || c == '\n') {
            state = SPACE;
            t->covered++;
        } else {
            state = SPACE;
            token(t, T_PUNCT, 1);
        }
    }
    switch (state) {
    case WORD:
        token(t, T_WORD, TEXT_SIZE - start);
        break;
    case NUMBER:
        token(t, T_NUMBER, TEXT_SIZE - start);
        break;
    case BAD_NUMBER:
        token(t, T_BAD_NUMBER, TEXT_SIZE - start);
        break;
    case STRING:
        token(t, T_BAD_STRING, TEXT_SIZE - start);
        break;
    case SPACE:
        break;
    }
}

/* The first index whose entry is >= key (TABLE_SIZE if none). */
static u32 lower_bound(u32 key) {
    u32 lo = 0, hi = TABLE_SIZE;
    while (lo < hi) {
        u32 mid = (lo + hi) / 2;
        if (table[mid] < key) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

int main(void) {
    u32 rng = 0xc0ffee11;
    /* Strictly increasing, with gaps: even keys are in the table. */
    for (u32 i = 0; i < TABLE_SIZE; i++) {
        table[i] = i * 64 + (xorshift32(&rng) & 31) * 2;
    }
    struct tally t = {{0}, 0, 0};
    u32 found = 0, hash = 0, misplaced = 0;
    for (u32 round = 0; round < ROUNDS; round++) {
        make_text(&rng);
        u32 covered_before = t.covered;
        tokenize(&t);
        CHECK_EQ(t.covered - covered_before, TEXT_SIZE);
        for (u32 s = 0; s < SEARCHES; s++) {
            u32 r = xorshift32(&rng);
            /* Half the time an entry of the table, else anything. */
            u32 key = (r & 1) ? table[(r >> 1) % TABLE_SIZE] : (r >> 14);
            u32 at = lower_bound(key);
            if (at < TABLE_SIZE && table[at] == key) {
                found++;
            }
            misplaced += (at < TABLE_SIZE && table[at] < key) || (at > 0 && table[at - 1] >= key);
            hash = hash * 31 + at;
        }
    }
    CHECK_EQ(misplaced, 0);
    report_dec("branchy: words ", t.count[T_WORD]);
    report_dec("branchy: numbers ", t.count[T_NUMBER]);
    report_dec("branchy: bad numbers ", t.count[T_BAD_NUMBER]);
    report_dec("branchy: strings ", t.count[T_STRING]);
    report_dec("branchy: bad strings ", t.count[T_BAD_STRING]);
    report_dec("branchy: punctuation ", t.count[T_PUNCT]);
    report32("branchy: token hash ", t.hash);
    report_dec("branchy: keys found ", found);
    report32("branchy: search hash ", hash);
    return 0;
}
