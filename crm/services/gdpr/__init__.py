"""UK GDPR duties for each person held: subject access, erasure and retention review.

* Subject access: everything held about a person (details, jobs, interactions, placements,
  notes, their X account with cached tweets and follower history, tweets that mention them,
  their Bluesky account with its posts and follower history, posts that mention them,
  audit entries) as JSON for machines and a self-contained HTML page for the person.
  Other people's names are left out of it: they are third parties' data.
* Erasure: the person goes with their emails, phones, jobs, tags, search document, X
  account (cached tweets and follower snapshots too) and Bluesky account (posts, follower
  snapshots, and others' posts that mention them); interactions with no one else are
  deleted, shared ones keep the others and lose every mention of the person; placements
  where they were the candidate are deleted; earlier audit entries are scrubbed of their
  details. One audit line without personal data records that an erasure happened.
  On SQLite, freed pages are zeroed and the full-text indexes rebuilt so that deleted
  words do not linger in the file.
* Retention review: people with no interaction (and no review) for N months.
"""

from crm.services.gdpr.access import (
    SubjectAccessResult,
    export_subject_access,
    render_html,
    subject_access_data,
)
from crm.services.gdpr.erasure import (
    ErasureImpact,
    ErasureReport,
    erase_people,
    erase_person,
    erasure_impact,
)
from crm.services.gdpr.identify import ERASED
from crm.services.gdpr.retention import (
    RENEWED,
    RetentionCandidate,
    renew_retention,
    retention_months,
    retention_review,
)

__all__ = [
    "ERASED",
    "RENEWED",
    "ErasureImpact",
    "ErasureReport",
    "RetentionCandidate",
    "SubjectAccessResult",
    "erase_people",
    "erase_person",
    "erasure_impact",
    "export_subject_access",
    "render_html",
    "renew_retention",
    "retention_months",
    "retention_review",
    "subject_access_data",
]
