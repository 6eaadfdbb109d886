// cdp::normalize::address: clean-up plus abbreviation table (docs/normalize.md).
#include <gtest/gtest.h>

#include <string>

#include "core/normalize/normalize.h"

using cdp::normalize::address;

TEST(NormalizeAddress, CaseSpacePunctuation) {
    EXPECT_EQ(address("  VIA   Roma,12 "), "via roma 12");
    EXPECT_EQ(address("Via Roma - 12/A"), "via roma 12 a");
    EXPECT_EQ(address("Viale Monza\n20125 Milano (MI)"), "viale monza 20125 milano mi");
}

TEST(NormalizeAddress, DiacriticsAndApostrophes) {
    EXPECT_EQ(address("Via dell'Orso 3"), "via dellorso 3");
    EXPECT_EQ(address("Piazza Niccolò Tommaseo"), "piazza niccolo tommaseo");
    EXPECT_EQ(address("Hauptstraße 5"), "hauptstrasse 5");
}

TEST(NormalizeAddress, ItalianVia) {
    EXPECT_EQ(address("V. Roma 12"), "via roma 12");
    EXPECT_EQ(address("v.Roma 12"), "via roma 12");
    EXPECT_EQ(address("V Roma 12"), "via roma 12");
    EXPECT_EQ(address("Milano, V. Roma 12"), "milano via roma 12");
}

TEST(NormalizeAddress, ItalianViaOnlyAtStart) {
    EXPECT_EQ(address("Corso V. Emanuele 5"), "corso v emanuele 5");  // Vittorio, not via
    EXPECT_EQ(address("Piazza Carlo V"), "piazza carlo v");
}

TEST(NormalizeAddress, ItalianPiazza) {
    EXPECT_EQ(address("P.za Garibaldi 1"), "piazza garibaldi 1");
    EXPECT_EQ(address("P.zza Garibaldi 1"), "piazza garibaldi 1");
    EXPECT_EQ(address("pza Garibaldi 1"), "piazza garibaldi 1");
    EXPECT_EQ(address("P.le Loreto"), "piazzale loreto");
    EXPECT_EQ(address("P.tta San Marco"), "piazzetta san marco");
}

TEST(NormalizeAddress, ItalianOtherTypes) {
    EXPECT_EQ(address("C.so Buenos Aires 33"), "corso buenos aires 33");
    EXPECT_EQ(address("V.le Monza 2"), "viale monza 2");
    EXPECT_EQ(address("L.go Augusto 1"), "largo augusto 1");
    EXPECT_EQ(address("V.lo del Pozzo"), "vicolo del pozzo");
    EXPECT_EQ(address("C.da Santa Lucia"), "contrada santa lucia");
    EXPECT_EQ(address("Loc. Piano, Fraz. Sotto"), "localita piano frazione sotto");
    EXPECT_EQ(address("Str. Statale"), "strada statale");
}

TEST(NormalizeAddress, ItalianNumero) {
    EXPECT_EQ(address("Via Roma n. 12"), "via roma numero 12");
    EXPECT_EQ(address("Via Roma n 12"), "via roma numero 12");
    EXPECT_EQ(address("Via Roma nr. 12"), "via roma numero 12");
    EXPECT_EQ(address("Via Roma n.12"), "via roma numero 12");
    EXPECT_EQ(address("Via Roma nº 12"), "via roma numero 12");
    EXPECT_EQ(address("Corso N. Sauro 3"), "corso n sauro 3");  // Nazario, not numero
}

TEST(NormalizeAddress, ItalianUnits) {
    EXPECT_EQ(address("Via Roma 1, Sc. B, Int. 4"), "via roma 1 scala b interno 4");
    EXPECT_EQ(address("Pal. 3"), "palazzo 3");
    EXPECT_EQ(address("int 4"), "int 4");  // without the period: left alone
}

TEST(NormalizeAddress, ItalianStateRoads) {
    EXPECT_EQ(address("S.S. 16 km 3"), "strada statale 16 km 3");
    EXPECT_EQ(address("SP 12"), "strada provinciale 12");
    EXPECT_EQ(address("SS Annunziata"), "ss annunziata");
}

TEST(NormalizeAddress, EnglishStreetTypes) {
    EXPECT_EQ(address("10 Downing St"), "10 downing street");
    EXPECT_EQ(address("221B Baker St."), "221b baker street");
    EXPECT_EQ(address("1 Abbey Rd"), "1 abbey road");
    EXPECT_EQ(address("5th Ave"), "5th avenue");
    EXPECT_EQ(address("Sunset Blvd"), "sunset boulevard");
    EXPECT_EQ(address("Penny Ln"), "penny lane");
    EXPECT_EQ(address("Mulholland Dr."), "mulholland drive");
    EXPECT_EQ(address("Court Ct"), "court court");
    EXPECT_EQ(address("Berkeley Sq"), "berkeley square");
    EXPECT_EQ(address("Park Pl"), "park place");
    EXPECT_EQ(address("Pacific Coast Hwy"), "pacific coast highway");
    EXPECT_EQ(address("Royal Cres"), "royal crescent");
}

TEST(NormalizeAddress, EnglishUnits) {
    EXPECT_EQ(address("123 Main St Apt 4"), "123 main street apartment 4");
    EXPECT_EQ(address("500 Elm St Ste 200"), "500 elm street suite 200");
    EXPECT_EQ(address("1 Park Ave Fl 3"), "1 park avenue floor 3");
}

TEST(NormalizeAddress, SaintVersusStreet) {
    EXPECT_EQ(address("St James Rd"), "saint james road");
    EXPECT_EQ(address("12 St. Mary St"), "12 saint mary street");
    EXPECT_EQ(address("High St, London"), "high street london");
    EXPECT_EQ(address("Main St 5"), "main street 5");
}

TEST(NormalizeAddress, DoctorVersusDrive) {
    EXPECT_EQ(address("5 Dr King Blvd"), "5 doctor king boulevard");
    EXPECT_EQ(address("5 Ocean Dr"), "5 ocean drive");
}

TEST(NormalizeAddress, TokenBoundariesOnly) {
    EXPECT_EQ(address("Stanford Road"), "stanford road");
    EXPECT_EQ(address("Rdx Avenue"), "rdx avenue");
    EXPECT_EQ(address("Firstreet"), "firstreet");
    EXPECT_EQ(address("Vla Roma"), "vla roma");
}

TEST(NormalizeAddress, Initials) {
    EXPECT_EQ(address("P.O. Box 12"), "po box 12");
    EXPECT_EQ(address("J.F.K. Blvd"), "jfk boulevard");
}

TEST(NormalizeAddress, EmptyAndBlank) {
    EXPECT_EQ(address(""), "");
    EXPECT_EQ(address(" , . "), "");
}

TEST(NormalizeAddress, Idempotent) {
    for (const char* s : {"V. Roma n. 12", "P.zza Garibaldi, 3", "St James Rd", "High St, London", "S.S. 16",
                          "Corso V. Emanuele", "Milano, V Roma", "5 Dr King Blvd", "P.O. Box 12"}) {
        const std::string once = address(s);
        EXPECT_EQ(address(once), once) << s;
    }
}

TEST(NormalizeAddress, MegabyteInputBounded) {
    std::string big;
    for (int i = 0; i < 50000; ++i) big += "P.zza Duomo 1, ";
    std::string out = address(big);
    EXPECT_EQ(out.substr(0, 30), "piazza duomo 1 piazza duomo 1 ");
    EXPECT_EQ(out.size(), 50000u * std::string("piazza duomo 1 ").size() - 1);
}
