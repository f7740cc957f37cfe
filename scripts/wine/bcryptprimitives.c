/* Wine 8 (Debian 12) lacks bcryptprimitives.dll, whose ProcessPrng Rust's std (1.78 on) imports
 * for random numbers; every Windows 10 and later has it. This stand-in, built with mingw-w64 and
 * placed in the test prefix's system32 by scripts/wine-smoke.sh, forwards to BCryptGenRandom,
 * which Wine implements. Test environment only: never shipped. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
