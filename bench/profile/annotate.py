"""Lays perf's sampled instruction addresses (uniq -c of `perf script -F ip`) over the machine code that
-XX:CompileCommand=print printed (hex, no hsdis needed): the C2 compile holding the most samples is disassembled
with objdump, each instruction prefixed by its sample count. Usage: annotate.py PRINT_OUTPUT IPS"""
import collections
import re
import subprocess
import sys
import tempfile

lines = open(sys.argv[1]).read().splitlines()
samples = collections.Counter()
for line in open(sys.argv[2]):
    count, ip = line.split()
    samples[int(ip, 16)] += int(count)

compiles = []  # (first line, code start, code end)
for i, line in enumerate(lines):
    if line.startswith('Compiled method (c2)'):
        code = re.search(r'main code\s+\[0x([0-9a-f]+),0x([0-9a-f]+)\]', '\n'.join(lines[i:i + 6]))
        compiles.append((i, int(code.group(1), 16), int(code.group(2), 16)))
if not compiles:
    sys.exit('no C2 compile of the method in ' + sys.argv[1])


def inside(c):
    return sum(n for ip, n in samples.items() if c[1] <= ip < c[2])


first, start, end = max(compiles, key=inside)
last = next((c[0] for c in compiles if c[0] > first), len(lines))
code, base = bytearray(), None
for line in lines[first:last]:
    m = re.match(r'\s*0x([0-9a-f]+): ([0-9a-f |]+)$', line)
    if not m:
        continue
    at, data = int(m.group(1), 16), bytes.fromhex(''.join(m.group(2).replace('|', '').split()))
    base = at if base is None else base
    if at > base + len(code):
        code += b'\x90' * (at - base - len(code))
    if at == base + len(code):
        code += data
with tempfile.NamedTemporaryFile(suffix='.bin') as f:
    f.write(code)
    f.flush()
    listing = subprocess.run(['objdump', '-D', '-b', 'binary', '-mi386:x86-64', '--adjust-vma=%#x' % base, f.name],
                             capture_output=True, text=True, check=True).stdout
print(f'{inside((first, start, end))} of {sum(samples.values())} samples in the compile at line {first + 1}')
for line in listing.splitlines():
    m = re.match(r'\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*\t(.*)', line)
    if m:
        n = samples.get(int(m.group(1), 16), 0)
        print(f'{n if n else "":>6} {m.group(1)} {m.group(2)}')
