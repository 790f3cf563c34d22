// Clang's thread-safety analysis attributes (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html), as LevelDB's
// port/thread_annotations.h and Abseil's absl/base/thread_annotations.h spell them. The Clang build of `make test`
// compiles with -Wthread-safety -Werror, so a member marked GUARDED_BY(mu_) read without mu_ held, or a function
// marked REQUIRES(mu_) called without it, does not compile. Other compilers ignore them.
#pragma once

#if defined(__clang__)
#define HOOKD_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define HOOKD_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) HOOKD_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY HOOKD_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) HOOKD_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) HOOKD_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) HOOKD_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) HOOKD_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) HOOKD_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) HOOKD_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) HOOKD_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) HOOKD_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) HOOKD_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define EXCLUDES(...) HOOKD_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) HOOKD_THREAD_ANNOTATION(assert_capability(x))
#define NO_THREAD_SAFETY_ANALYSIS HOOKD_THREAD_ANNOTATION(no_thread_safety_analysis)
