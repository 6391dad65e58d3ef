"""The columns of the MIS's contacts export (SIMS "Contacts", Arbor "Guardians", Bromcom
"Contacts" reports): the pupil's UPN, then the contact's name, relationship, priority,
parental responsibility, may-collect flag, telephone, email and any court order or "do not
release to" marker. The pupil's own name columns in these reports are left unused."""

from __future__ import annotations

from enum import StrEnum

from kiosk.services.roster_columns import FieldSet


class ContactField(StrEnum):
    UPN = "upn"
    CONTACT_REF = "contact_ref"
    NAME = "name"
    TITLE = "title"
    FORENAME = "forename"
    SURNAME = "surname"
    RELATIONSHIP = "relationship"
    PRIORITY = "priority"
    PARENTAL_RESPONSIBILITY = "parental_responsibility"
    MAY_COLLECT = "may_collect"
    TELEPHONE = "telephone"
    EMAIL = "email"
    DO_NOT_RELEASE = "do_not_release"
    COURT_ORDER = "court_order"


CONTACT_LABELS: dict[ContactField, str] = {
    ContactField.UPN: "Pupil's UPN",
    ContactField.CONTACT_REF: "Contact's MIS reference",
    ContactField.NAME: "Contact's full name",
    ContactField.TITLE: "Contact's title",
    ContactField.FORENAME: "Contact's forename",
    ContactField.SURNAME: "Contact's surname",
    ContactField.RELATIONSHIP: "Relationship",
    ContactField.PRIORITY: "Priority",
    ContactField.PARENTAL_RESPONSIBILITY: "Parental responsibility",
    ContactField.MAY_COLLECT: "May collect",
    ContactField.TELEPHONE: "Telephone",
    ContactField.EMAIL: "Email",
    ContactField.DO_NOT_RELEASE: "Do not release to",
    ContactField.COURT_ORDER: "Court order",
}

# Normalised header names (lower case, letters and digits only), best first. A plain
# "Forename" or "Surname" in these reports is the pupil's, so only "contact ..." names count.
_ALIAS_WORDS: dict[ContactField, str] = {
    ContactField.UPN: "upn pupilupn studentupn uniquepupilnumber currentupn",
    ContactField.CONTACT_REF: "contactid contactref contactreference contactno contactnumber "
    "contactpersonid guardianid parentid",
    ContactField.NAME: "contactname contactfullname contact guardianname parentname "
    "guardian parentcarername contactsname",
    ContactField.TITLE: "contacttitle title guardiantitle",
    ContactField.FORENAME: "contactforename contactfirstname contactforenames guardianforename "
    "guardianfirstname contactlegalforename",
    ContactField.SURNAME: "contactsurname contactlastname guardiansurname guardianlastname "
    "contactlegalsurname",
    ContactField.RELATIONSHIP: "relationship relationshiptopupil relationshiptostudent "
    "contactrelationship relation relationshiptype",
    ContactField.PRIORITY: "priority contactpriority order contactorder priorityorder",
    ContactField.PARENTAL_RESPONSIBILITY: "parentalresponsibility hasparentalresponsibility "
    "pr parentalresp responsibility",
    ContactField.MAY_COLLECT: "maycollect cancollect collect collectpupil maycollectpupil "
    "authorisedtocollect allowedtocollect pickup maypickup",
    ContactField.TELEPHONE: "telephone phone mobile telephonenumber phonenumber mobilephone "
    "contacttelephone contactphone contactmobile primarytelephone tel telno mainphone",
    ContactField.EMAIL: "email emailaddress contactemail primaryemail mainemail",
    ContactField.DO_NOT_RELEASE: "donotrelease donotreleaseto donotreleasepupil "
    "notallowedtocollect maynotcollect barred restricted norelease",
    ContactField.COURT_ORDER: "courtorder courtorders courtorderdetails legalrestriction "
    "legalrestrictions courtordernote",
}

CONTACTS = FieldSet(
    ContactField,
    CONTACT_LABELS,
    {f: tuple(w.split()) for f, w in _ALIAS_WORDS.items()},
    (ContactField.UPN, ContactField.RELATIONSHIP),
    "contacts",
)
ContactColumns = tuple[ContactField | None, ...]  # one entry per column of the file
