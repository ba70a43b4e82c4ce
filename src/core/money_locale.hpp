// The one locale money crosses tapedeck in.
#pragma once

#include <string_view>

namespace tapedeck {

// money's text form follows the session's lc_monetary, and so does its reading: the amount
// stored as 123400 is "$1,234.00" under C, "￥123,400" under ja_JP (no fraction digits) and
// "1.234,00 €" under de_DE, and each of those texts reads back as another amount, or as none,
// under the other locales. Every connection through which tapedeck moves money as text (capture's
// replication connection, pg_dump, pg_restore, the session database's replay) runs under C,
// so the stored amount arrives identical whatever locales the servers and databases have.
inline constexpr std::string_view kMoneyLocaleSetting = "lc_monetary = 'C'";  // for SET
inline constexpr std::string_view kMoneyLocaleOption = "-c lc_monetary=C";    // for PGOPTIONS

}  // namespace tapedeck
