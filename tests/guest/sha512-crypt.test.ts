import { describe, expect, test } from "bun:test";
import { sha512Crypt } from "../../lib/guest/_sha512-crypt.ts";

describe("sha512Crypt", () => {
  // The first four are the specification's vectors (https://www.akkadia.org/drepper/SHA-crypt.txt);
  // the others were computed once with libxcrypt's crypt(3) and `openssl passwd -6 -salt`.
  const cases: [string, string, number | undefined, string][] = [
    ["Hello world!", "saltstring", undefined, "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"],
    ["Hello world!", "saltstringsaltstring", 10000, "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."],
    ["This is just a test", "toolongsaltstring", 5000, "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"],
    ["a very much longer text to encrypt.  This one even stretches over morethan one line.", "anotherlongsaltstring", 1400,
      "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"],
    // Fewer than 1000 rounds are raised to 1000, as the specification says.
    ["we have a short salt string but not a short password", "roundstoolow", 10, "$6$rounds=1000$roundstoolow$yjTuW7RnC.d35QcVTFIb6uvh/7IQ1.GFtFN3i/.jwmeWEhzjf4uD/OPCb4jRl6atJGYhLst8IyR6YAtTrriMU1"],
    ["", "0123456789abcdef", 100000, "$6$rounds=100000$0123456789abcdef$kH3QPrqBOU84fpS1Pa0mzxm7nXI4koSkLPoHWC3iQqOu2tQuasfVziCW5ezdvsfiAYy/5s49kNYeRRHxwIcjD0"],
    ["pässwörd ".repeat(20), "abc", undefined, "$6$abc$w/wqWqPOlR95kQwZVUrr91IVgu9aH0thiUY17728VESiQfLY0MAvqYoCIAkRDJShmdB0KQQU1ONI4gs.t3Wol/"],
  ];

  test.each(cases)("hashes %p with salt %p and %p rounds as crypt(3) does", (password, salt, rounds, expected) => {
    expect(sha512Crypt(password, { salt, rounds })).toBe(expected);
  });

  test("draws a fresh 16-character salt each time", () => {
    const [a, b] = [sha512Crypt("pw"), sha512Crypt("pw")];
    expect(a).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(a).not.toBe(b);
  });
});
