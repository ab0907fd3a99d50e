/*
 * QuotaLane admind: which Google Cloud project a Gemini CLI (Code
 * Assist) account bills, asked at onboarding as Gemini CLI asks it:
 * loadCodeAssist, and when the user has no tier yet, onboardUser (a
 * long-running operation, asked again until done).
 */

#ifndef _ADMIND_CODE_ASSIST_H_INCLUDED_
#define _ADMIND_CODE_ASSIST_H_INCLUDED_


#include "admind.h"


#define ADMIND_CODE_ASSIST_ID_MAX  128


typedef struct {
    char  project[ADMIND_CODE_ASSIST_ID_MAX];
    char  tier[ADMIND_CODE_ASSIST_ID_MAX];
} admind_code_assist_t;


/*
 * base: the Code Assist endpoint ("https://cloudcode-pa.googleapis.com"),
 * connected to at addr (the outbound policy's); project: the user's own
 * Google Cloud project, or NULL for the free tier's managed one.
 * ADMIND_OK with out filled; ADMIND_DECLINED when Google refused (err
 * says what it said); ADMIND_ERROR when it could not be asked.
 */
int admind_code_assist_project(const char *base, const char *addr,
    const char *access_token, const char *project, admind_code_assist_t *out,
    char *err, size_t errlen);


#endif /* _ADMIND_CODE_ASSIST_H_INCLUDED_ */
