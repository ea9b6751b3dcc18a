package provider

import (
	"encoding/binary"
	"fmt"
)

// checkMsgpackExtensions applies go-cty 1.18's rules for msgpack extensions (notes/tfplugin6.md
// 3.2) that the cty 1.12 decoder here does not: any extension of length <= 1 is an unknown; a longer
// one must be type 12 (a refined unknown) with a payload of at most 1024 bytes. Malformed input is
// left for the real decoder to report.
func checkMsgpackExtensions(b []byte) error {
	_, err := walkMsgpack(b, 0, 0)
	return err
}

var errShort = fmt.Errorf("short")

func walkMsgpack(b []byte, off, depth int) (int, error) {
	if off >= len(b) || depth > 128 {
		return len(b), nil
	}
	c := b[off]
	need := func(n int) (uint64, bool) {
		if off+1+n > len(b) {
			return 0, false
		}
		switch n {
		case 1:
			return uint64(b[off+1]), true
		case 2:
			return uint64(binary.BigEndian.Uint16(b[off+1:])), true
		case 4:
			return uint64(binary.BigEndian.Uint32(b[off+1:])), true
		}
		return 0, false
	}
	containers := func(n uint64, hdr int, pairs bool) (int, error) {
		pos := off + 1 + hdr
		count := int(n)
		if pairs {
			count *= 2
		}
		for i := 0; i < count; i++ {
			var err error
			if pos, err = walkMsgpack(b, pos, depth+1); err != nil {
				return pos, err
			}
		}
		return pos, nil
	}
	ext := func(n uint64, hdr int) (int, error) {
		typPos := off + 1 + hdr
		if typPos >= len(b) {
			return len(b), nil
		}
		typ := int8(b[typPos])
		if n > 1 && typ != 12 {
			return len(b), fmt.Errorf("unsupported extension type %d", typ)
		}
		if n > 1024 {
			return len(b), fmt.Errorf("oversized refinements payload")
		}
		return typPos + 1 + int(n), nil
	}
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return off + 1, nil
	case c >= 0x80 && c <= 0x8f:
		return containers(uint64(c&0x0f), 0, true)
	case c >= 0x90 && c <= 0x9f:
		return containers(uint64(c&0x0f), 0, false)
	case c >= 0xa0 && c <= 0xbf:
		return off + 1 + int(c&0x1f), nil
	}
	switch c {
	case 0xc4, 0xd9:
		n, ok := need(1)
		if !ok {
			return len(b), nil
		}
		return off + 2 + int(n), nil
	case 0xc5, 0xda:
		n, ok := need(2)
		if !ok {
			return len(b), nil
		}
		return off + 3 + int(n), nil
	case 0xc6, 0xdb:
		n, ok := need(4)
		if !ok {
			return len(b), nil
		}
		return off + 5 + int(n), nil
	case 0xc7:
		n, ok := need(1)
		if !ok {
			return len(b), nil
		}
		return ext(n, 1)
	case 0xc8:
		n, ok := need(2)
		if !ok {
			return len(b), nil
		}
		return ext(n, 2)
	case 0xc9:
		n, ok := need(4)
		if !ok {
			return len(b), nil
		}
		return ext(n, 4)
	case 0xca:
		return off + 5, nil
	case 0xcb:
		return off + 9, nil
	case 0xcc, 0xd0:
		return off + 2, nil
	case 0xcd, 0xd1:
		return off + 3, nil
	case 0xce, 0xd2:
		return off + 5, nil
	case 0xcf, 0xd3:
		return off + 9, nil
	case 0xd4:
		return ext(1, 0)
	case 0xd5:
		return ext(2, 0)
	case 0xd6:
		return ext(4, 0)
	case 0xd7:
		return ext(8, 0)
	case 0xd8:
		return ext(16, 0)
	case 0xdc:
		n, ok := need(2)
		if !ok {
			return len(b), nil
		}
		return containers(n, 2, false)
	case 0xdd:
		n, ok := need(4)
		if !ok {
			return len(b), nil
		}
		return containers(n, 4, false)
	case 0xde:
		n, ok := need(2)
		if !ok {
			return len(b), nil
		}
		return containers(n, 2, true)
	case 0xdf:
		n, ok := need(4)
		if !ok {
			return len(b), nil
		}
		return containers(n, 4, true)
	}
	return len(b), nil
}

var _ = errShort
