import { describe, expect, it } from 'vitest';
import { createNumpyGenerator, seedSequenceGenerateState } from './numpy-random.js';

// Every expected value below was produced by numpy 2.4.6 (the version sacreBLEU 2.6.0 ran with
// here), Python 3.11, with the numpy call named next to it.

const bits = (values: ArrayLike<number>): string => Array.from(values).join('');

const sum = (values: ArrayLike<number>): number => {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total;
};

describe('seedSequenceGenerateState', () => {
  // np.random.SeedSequence(seed).generate_state(8).tolist()
  const cases: [number | bigint, number[]][] = [
    [
      0,
      [2968811710, 3677149159, 745650761, 2884920346, 2642120001, 549907821, 574372308, 742431198],
    ],
    [
      1,
      [
        1835504127, 1731038949, 1320224556, 2330041505, 321059914, 1226144109, 2879408573,
        3503041500,
      ],
    ],
    [
      12345,
      [
        2688385916, 3048105090, 4196366895, 3152189807, 924159892, 1692637855, 2685664627,
        1052446614,
      ],
    ],
    [
      2 ** 32 + 5,
      [
        3796490668, 4190198742, 909250263, 2986482496, 3873240889, 2475209855, 2909026785,
        1592502489,
      ],
    ],
    // 2**128 + 3: five entropy words, one more than the pool, exercises the late-mixing loop.
    [
      2n ** 128n + 3n,
      [
        1645421708, 4294262074, 3363538554, 2054166386, 2703159681, 562151278, 1212700329,
        2336337075,
      ],
    ],
  ];
  it.each(cases)('seed %s', (seed, expected) => {
    expect(Array.from(seedSequenceGenerateState(seed, 8))).toEqual(expected);
  });

  it('rejects seeds numpy would reject or that a number cannot hold exactly', () => {
    expect(() => createNumpyGenerator(-1)).toThrow(RangeError);
    expect(() => createNumpyGenerator(1.5)).toThrow(RangeError);
    expect(() => createNumpyGenerator(2 ** 60)).toThrow(RangeError);
    expect(() => createNumpyGenerator(-1n)).toThrow(RangeError);
  });
});

describe('createNumpyGenerator', () => {
  it('yields PCG64 outputs low half first', () => {
    // np.random.PCG64(12345).random_raw(3), each split into (x & 0xffffffff, x >> 32)
    const g = createNumpyGenerator(12345);
    const words = Array.from({ length: 6 }, () => g.nextUint32());
    expect(words).toEqual([3003105693, 976400781, 3387213022, 1360466709, 876933081, 3424658562]);
  });

  // rng = np.random.default_rng(seed); a = rng.choice(n, size=(100, 3000), replace=True).ravel()
  // -> a[:12], a.sum(), [a[4999], a[123456], a[299999]]. (numpy's 2-D result equals
  // default_rng(seed).choice(n, size=300000): row-major, checked when generating these.)
  type ChoiceCase = [number, number, number[], number, number[]];
  const choiceCases: ChoiceCase[] = [
    [0, 1, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, [0, 0, 0]],
    [0, 2, [1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1], 149942, [0, 1, 1]],
    [0, 3, [2, 1, 1, 0, 0, 0, 0, 0, 0, 2, 1, 2], 300390, [0, 2, 1]],
    [0, 7, [5, 4, 3, 1, 2, 0, 0, 0, 1, 5, 4, 6], 900115, [0, 4, 3]],
    [0, 1000, [850, 636, 511, 269, 307, 40, 75, 16, 175, 813, 649, 912], 149859269, [90, 702, 565]],
    [
      0,
      3000,
      [2551, 1910, 1533, 809, 923, 122, 225, 49, 525, 2439, 1948, 2738],
      449878007,
      [270, 2107, 1696],
    ],
    [
      0,
      65537,
      [55747, 41744, 33498, 17681, 20174, 2685, 4931, 1083, 11486, 53299, 42560, 59819],
      9831017348,
      [5916, 46047, 37061],
    ],
    [
      0,
      2147483659,
      [
        1826701624, 1367864814, 579362558, 87989972, 1746484548, 1960127686, 1566581943, 1202413564,
        2008052749, 1841261672, 1190382229, 72124473,
      ],
      322075008249318,
      [605745483, 1426468595, 1644280332],
    ],
    [
      0,
      4294967296,
      [
        3653403231, 2735729615, 2195314465, 1158725112, 1322117304, 175979945, 323153949, 70985654,
        752767291, 3492969080, 2789219406, 3920255353,
      ],
      644285526450908,
      [387711643, 3017738623, 2428822051],
    ],
    [1, 1, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, [0, 0, 0]],
    [1, 2, [0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0], 149834, [0, 1, 0]],
    [1, 3, [1, 1, 2, 2, 0, 0, 2, 2, 0, 0, 2, 1], 299659, [0, 1, 0]],
    [1, 7, [3, 3, 5, 6, 0, 1, 5, 6, 1, 2, 6, 2], 899725, [1, 3, 1]],
    [
      1,
      1000,
      [473, 511, 755, 950, 34, 144, 822, 948, 249, 311, 869, 423],
      149780989,
      [244, 516, 176],
    ],
    [
      1,
      3000,
      [1419, 1535, 2265, 2851, 104, 432, 2468, 2845, 747, 935, 2607, 1269],
      449643083,
      [732, 1549, 528],
    ],
    [
      1,
      65537,
      [31011, 33543, 49491, 62290, 2284, 9447, 53933, 62171, 16333, 20436, 56953, 27743],
      9825879686,
      [15993, 33840, 11542],
    ],
    [
      1,
      2147483659,
      [
        1016164996, 2041105255, 74845286, 309580412, 1866217517, 1777477794, 551886183, 878748458,
        184123697, 1155653970, 1755663532, 708093472,
      ],
      321806303408506,
      [638397477, 1723508264, 796289228],
    ],
    [
      1,
      4294967296,
      [
        2032329983, 2198257139, 3243419750, 4082210491, 149690573, 619160822, 3534516178,
        4074418350, 1070428841, 1339305888, 3732435016, 1818173253,
      ],
      643948852038579,
      [1048106289, 2217713862, 756408124],
    ],
    [12345, 1, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, [0, 0, 0]],
    [12345, 2, [1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0], 149951, [1, 0, 1]],
    [12345, 3, [2, 0, 2, 0, 0, 2, 1, 2, 2, 1, 2, 0], 299605, [2, 0, 1]],
    [12345, 7, [4, 1, 5, 2, 1, 5, 4, 4, 6, 2, 5, 2], 899218, [6, 2, 3]],
    [
      12345,
      1000,
      [699, 227, 788, 316, 204, 797, 642, 676, 988, 391, 839, 332],
      149776046,
      [871, 288, 561],
    ],
    [
      12345,
      3000,
      [2097, 682, 2365, 950, 612, 2392, 1928, 2028, 2965, 1173, 2518, 998],
      449628296,
      [2614, 866, 1685],
    ],
    [
      12345,
      65537,
      [45824, 14898, 51685, 20759, 13381, 52256, 42119, 44319, 64780, 25632, 55013, 21811],
      9825559226,
      [57124, 18937, 36825],
    ],
    [
      12345,
      2147483659,
      [
        1693606519, 680233357, 438466542, 1712329289, 1802651562, 1218704084, 457721137, 1444732610,
        2022506262, 1964759889, 1572889074, 1432881526,
      ],
      322099757448471,
      [580652970, 75185341, 1673252161],
    ],
    [
      12345,
      4294967296,
      [
        3003105693, 976400781, 3387213022, 1360466709, 876933081, 3424658562, 2760304912,
        2904491694, 4245388045, 1679802728, 3605303107, 1429424935,
      ],
      643927865971466,
      [3743652138, 1241096633, 2413338632],
    ],
    [4294967301, 1, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, [0, 0, 0]],
    [4294967301, 2, [0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1], 150286, [0, 0, 0]],
    [4294967301, 3, [0, 2, 2, 1, 2, 2, 2, 2, 2, 1, 1, 1], 300441, [0, 1, 0]],
    [4294967301, 7, [0, 5, 5, 3, 6, 4, 5, 5, 5, 3, 3, 3], 901554, [1, 2, 2]],
    [
      4294967301,
      1000,
      [132, 774, 778, 470, 878, 695, 848, 816, 815, 537, 570, 517],
      150062118,
      [186, 377, 306],
    ],
    [
      4294967301,
      3000,
      [396, 2322, 2334, 1412, 2635, 2087, 2545, 2449, 2446, 1613, 1710, 1551],
      450486611,
      [558, 1131, 918],
    ],
    [
      4294967301,
      65537,
      [8670, 50739, 51002, 30849, 57580, 45605, 55601, 53513, 53441, 35254, 37371, 33902],
      9844313066,
      [12200, 24718, 20060],
    ],
    [
      4294967301,
      2147483659,
      [
        284122217, 1010869269, 1886784489, 1494391667, 1753501250, 1751142133, 1224559483,
        451446473, 1917679430, 1879969062, 2086732311, 47551221,
      ],
      322154245598800,
      [261715961, 506547548, 396302223],
    ],
    [
      4294967301,
      4294967296,
      [
        568244433, 3325181635, 3342468483, 2021738529, 3773568960, 2988783320, 3643824758,
        3507002484, 3502284250, 2310421517, 2449118955, 2221770359,
      ],
      645156883244130,
      [799536732, 1619930689, 1314644903],
    ],
  ];

  it.each(choiceCases)('choice: seed %s, n = %s', (seed, n, first, total, far) => {
    const a = createNumpyGenerator(seed).choice(n, 100 * 3000);
    expect(a).toHaveLength(300000);
    expect(Array.from(a.subarray(0, 12))).toEqual(first);
    expect(sum(a)).toBe(total);
    expect([a[4999], a[123456], a[299999]]).toEqual(far);
  });

  it('splitting a draw into calls changes nothing', () => {
    const whole = createNumpyGenerator(12345).choice(3000, 10_000);
    const g = createNumpyGenerator(12345);
    // Odd sizes leave a buffered high half behind, and 3001 straddles a block refill.
    const parts = [
      g.choice(3000, 1),
      g.choice(3000, 3001),
      g.choice(3000, 0),
      g.choice(3000, 6998),
    ];
    expect(Array.from(parts.flatMap((p) => Array.from(p)))).toEqual(Array.from(whole));
  });

  it('continues the stream across mixed calls as numpy does', () => {
    // rng = np.random.default_rng(7), then in this order:
    const g = createNumpyGenerator(7);
    // rng.choice(3, size=5)
    expect(Array.from(g.choice(3, 5))).toEqual([2, 1, 2, 2, 1]);
    // rng.choice(1000, size=(2, 3)).ravel()
    expect(Array.from(g.choice(1000, 6))).toEqual([775, 833, 225, 55, 300, 285]);
    // rng.integers(2, size=37, dtype=bool)
    expect(bits(g.booleans(37))).toBe('1110101101001100100001011111101100001');
    // rng.choice(65537, size=4)
    expect(Array.from(g.choice(65537, 4))).toEqual([345, 32754, 53820, 8614]);
    // rng.integers(2, size=1, dtype=bool)
    expect(bits(g.booleans(1))).toBe('1');
    // rng.choice(2**31 + 11, size=3)
    expect(Array.from(g.choice(2 ** 31 + 11, 3))).toEqual([255728785, 1004882664, 1753345580]);
    // rng.choice(1, size=5): all zeros and, in numpy too, no draw consumed
    expect(Array.from(g.choice(1, 5))).toEqual([0, 0, 0, 0, 0]);
    // rng.choice(2**32, size=3)
    expect(Array.from(g.choice(2 ** 32, 3))).toEqual([1301514362, 1467175557, 1195828898]);
    // rng.integers(2, size=(2, 32), dtype=bool).ravel()
    expect(bits(g.booleans(64))).toBe(
      '0000111101111100111101000001110111111000010001001111110010000010',
    );
    // rng.choice(10, size=7)
    expect(Array.from(g.choice(10, 7))).toEqual([9, 4, 4, 5, 5, 5, 5]);
  });

  it('drops the rest of a boolean call’s last draw but keeps the PCG64 half', () => {
    // rng = np.random.default_rng(0); rng.integers(2, size=70, dtype=bool); rng.choice(1000, 5)
    const g = createNumpyGenerator(0);
    expect(bits(g.booleans(70))).toBe(
      '1111101001000001010000111001101111110011110101111111000011000101100001',
    );
    // 70 flips took three uint32 words; the choice starts at word four, which is where
    // default_rng(0).choice(1000, 12) has [..., 269, 307, 40, 75, 16, ...] (see the table).
    expect(Array.from(g.choice(1000, 5))).toEqual([269, 307, 40, 75, 16]);
  });

  it('draws what sacrebleu.significance does for a paired AR test with confidence', () => {
    // rng = np.random.default_rng(12345)
    // pos = rng.integers(2, size=(1000, 51), dtype=bool).ravel()
    // idx = rng.choice(51, size=(1000, 51), replace=True).ravel()
    const g = createNumpyGenerator(12345);
    const pos = g.booleans(1000 * 51);
    expect(bits(pos.subarray(0, 64))).toBe(
      '1011100110000011111111110100110110110001100011010100110001011100',
    );
    expect(bits(pos.subarray(25000, 25032))).toBe('01010111010000010101010100010001');
    expect(sum(pos)).toBe(25457);
    const idx = g.choice(51, 1000 * 51);
    expect(Array.from(idx.subarray(0, 20))).toEqual([
      27, 34, 24, 17, 44, 15, 46, 48, 13, 45, 4, 32, 44, 17, 21, 5, 47, 3, 50, 13,
    ]);
    expect(sum(idx)).toBe(1268068);
    expect([idx[777], idx[25500], idx[50999]]).toEqual([42, 21, 45]);
  });

  it('is deterministic per seed and differs between seeds', () => {
    const a = createNumpyGenerator(42).choice(1000, 500);
    const b = createNumpyGenerator(42).choice(1000, 500);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(createNumpyGenerator(42n).choice(1000, 500))).toEqual(Array.from(a));
    const c = createNumpyGenerator(43).choice(1000, 500);
    expect(Array.from(c)).not.toEqual(Array.from(a));
    const d = createNumpyGenerator(2 ** 32 + 42).choice(1000, 500);
    expect(Array.from(d)).not.toEqual(Array.from(a));
  });

  it('rejects counts and ranges it cannot reproduce', () => {
    const g = createNumpyGenerator(0);
    expect(() => g.choice(0, 1)).toThrow(RangeError);
    expect(g.choice(0, 0)).toHaveLength(0);
    expect(() => g.choice(2 ** 32 + 1, 1)).toThrow(RangeError);
    expect(() => g.choice(2.5, 1)).toThrow(RangeError);
    expect(() => g.choice(10, -1)).toThrow(RangeError);
    expect(() => g.booleans(1.5)).toThrow(RangeError);
  });
});
