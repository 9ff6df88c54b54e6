package io.pgvault.blocks;

/**
 * PostgreSQL's data page checksum ({@code pg_checksum_page}, storage/checksum_impl.h), so that a backup that reads
 * the data directory itself checks every page of a relation file as it reads it, as pg_basebackup and pgBackRest
 * do, instead of storing a damaged page unnoticed. The algorithm: 32 FNV-1a-like lanes over the page's 32-bit
 * words (little-endian, with {@code pd_checksum} taken as zero), two rounds of zeros, the lanes xor-folded, the
 * block number mixed in and the result folded to 1..65535.
 *
 * <p>{@link #verify} applies the excuses PostgreSQL's own backup code applies: a new page (all zeros) has no
 * checksum, and a page whose LSN is at or after the backup's start LSN may be torn (it is being written as it is
 * read) and is restored from WAL anyway.
 */
public final class PageChecksum {

    /** The page size this checks (PostgreSQL's default BLCKSZ). */
    public static final int PAGE = 8192;
    /** Blocks per 1 GiB relation segment: block numbers continue across a relation's segments. */
    public static final long BLOCKS_PER_SEGMENT = 131072;

    private static final int N_SUMS = 32;
    private static final int FNV_PRIME = 16777619;
    private static final int[] BASE = {
        0x5B1F36E9, 0xB8525960, 0x02AB50AA, 0x1DE66D2A, 0x79FF467A, 0x9BB9F8A3, 0x217E7CD2, 0x83E13D2C,
        0xF8D4474F, 0xE39EB970, 0x42C6AE16, 0x993216FA, 0x7B093B5D, 0x98DAFF3C, 0xF718902A, 0x0B1C9CDB,
        0xE58F764B, 0x187636BC, 0x5D7B3BB1, 0xE73DE7DE, 0x92BEC979, 0xCCA6C0B2, 0x304A0979, 0x85AA43D4,
        0x783125BB, 0x6CA8EAA2, 0xE407EAC6, 0x4B5CFC3E, 0x9FBF8C76, 0x15CA20BE, 0xF2CA9FD3, 0x959BD756};

    private PageChecksum() {
    }

    /** The checksum of the page at {@code data[offset..offset+8192)} as block {@code blockNumber} of its relation. */
    public static int compute(byte[] data, int offset, long blockNumber) {
        int[] sums = BASE.clone();
        int words = PAGE / 4;
        for (int w = 0; w < words; w += N_SUMS) {
            for (int j = 0; j < N_SUMS; j++) {
                int at = offset + (w + j) * 4;
                // pd_checksum (bytes 8 and 9, the low half of word 2) counts as zero
                int value = (data[at] & 0xff) | (data[at + 1] & 0xff) << 8 | (data[at + 2] & 0xff) << 16
                        | (data[at + 3] & 0xff) << 24;
                if (w + j == 2) {
                    value &= 0xffff0000;
                }
                sums[j] = comp(sums[j], value);
            }
        }
        for (int round = 0; round < 2; round++) {
            for (int j = 0; j < N_SUMS; j++) {
                sums[j] = comp(sums[j], 0);
            }
        }
        int result = 0;
        for (int s : sums) {
            result ^= s;
        }
        result ^= (int) blockNumber;
        return (int) (Integer.toUnsignedLong(result) % 65535) + 1;
    }

    private static int comp(int checksum, int value) {
        int tmp = checksum ^ value;
        return tmp * FNV_PRIME ^ (tmp >>> 17);
    }

    /** The checksum the page carries ({@code pd_checksum}). */
    public static int stored(byte[] data, int offset) {
        return (data[offset + 8] & 0xff) | (data[offset + 9] & 0xff) << 8;
    }

    /** The page's LSN ({@code pd_lsn}: the high 32 bits first, each little-endian). */
    public static long lsn(byte[] data, int offset) {
        return (long) le32(data, offset) << 32 | le32(data, offset + 4);
    }

    private static long le32(byte[] data, int at) {
        return (data[at] & 0xffL) | (data[at + 1] & 0xffL) << 8 | (data[at + 2] & 0xffL) << 16
                | (data[at + 3] & 0xffL) << 24;
    }

    /**
     * Whether the page is acceptable: all zeros (a new page), an LSN at or after {@code startLsn} (written during
     * the backup, replayed from WAL on restore), or a checksum that matches.
     */
    public static boolean verify(byte[] data, int offset, long blockNumber, long startLsn) {
        if (Long.compareUnsigned(lsn(data, offset), startLsn) >= 0) {
            return true;
        }
        if (stored(data, offset) == compute(data, offset, blockNumber)) {
            return true;
        }
        for (int i = offset; i < offset + PAGE; i++) {
            if (data[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
