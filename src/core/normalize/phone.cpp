// normalize::phone via libphonenumber.
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <string>

#include "core/normalize/normalize.h"

namespace cdp::normalize {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

std::optional<std::string> phone(std::string_view raw, std::string_view region) {
    if (raw.size() > 256) return std::nullopt;  // no phone number is that long
    const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    std::string reg(region);
    for (auto& c : reg) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (util->Parse(std::string(raw), reg, &number) != PhoneNumberUtil::NO_PARSING_ERROR) return std::nullopt;
    if (!util->IsValidNumber(number)) return std::nullopt;
    std::string out;
    util->Format(number, PhoneNumberUtil::E164, &out);
    return out;
}

bool is_known_region(std::string_view region) {
    std::string reg(region);
    const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
    return util->GetCountryCodeForRegion(reg) != 0;
}

}  // namespace cdp::normalize
