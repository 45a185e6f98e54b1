#!/usr/bin/env python3
"""Zero the CUDA cubins for other GPU architectures inside a shared library's .nv_fatbin section.

The CUDA provider of onnxruntime carries kernels for many architectures (sm_50 ... sm_120); a host only loads the
one matching its GPU. Zeroed entries keep every offset and size intact (the library still loads and the runtime
skips them), but compress to almost nothing, so the library fits the GPU host's transfer limit.
Usage: strip-fatbin.py IN OUT --keep-sm 90   (PTX entries are kept: the driver may JIT them).
"""
import argparse
import struct

FATBIN_MAGIC = 0xBA55ED50
KIND_ELF = 2


def nv_fatbin_section(data):
    """(offset, size) of the .nv_fatbin section of an ELF64 little-endian file."""
    e_shoff, = struct.unpack_from('<Q', data, 0x28)
    e_shentsize, e_shnum, e_shstrndx = struct.unpack_from('<HHH', data, 0x3A)
    def section(i):
        base = e_shoff + i * e_shentsize
        name, _type, _flags, _addr, offset, size = struct.unpack_from('<IIQQQQ', data, base)
        return name, offset, size
    _, strtab_off, _ = section(e_shstrndx)
    for i in range(e_shnum):
        name, offset, size = section(i)
        end = data.index(b'\0', strtab_off + name)
        if data[strtab_off + name:end] == b'.nv_fatbin':
            return offset, size
    raise SystemExit('no .nv_fatbin section')


def strip(data, keep_sm):
    offset, size = nv_fatbin_section(data)
    pos, end = offset, offset + size
    kept = zeroed = 0
    while pos + 16 <= end:
        magic, _version, header_size, fat_size = struct.unpack_from('<IHHQ', data, pos)
        if magic != FATBIN_MAGIC:
            pos += 8  # containers are 8-byte aligned; skip padding
            continue
        entry = pos + header_size
        container_end = entry + fat_size
        while entry < container_end:
            kind, _ver, entry_header, padded = struct.unpack_from('<HHIQ', data, entry)
            sm, = struct.unpack_from('<I', data, entry + 28)
            payload = entry + entry_header
            if kind == KIND_ELF and sm != keep_sm:
                data[payload:payload + padded] = bytes(padded)
                zeroed += padded
            else:
                kept += padded
            entry = payload + padded
        pos = container_end
    return kept, zeroed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('input')
    parser.add_argument('output')
    parser.add_argument('--keep-sm', type=int, default=90)
    args = parser.parse_args()
    data = bytearray(open(args.input, 'rb').read())
    kept, zeroed = strip(data, args.keep_sm)
    open(args.output, 'wb').write(data)
    print(f'kept {kept / 1e6:.1f} MB of fatbin entries, zeroed {zeroed / 1e6:.1f} MB (cubins for sm != {args.keep_sm})')


if __name__ == '__main__':
    main()
