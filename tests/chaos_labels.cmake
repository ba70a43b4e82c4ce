# Read by ctest after the discovered gtest cases (TEST_INCLUDE_FILES, appended after theirs):
# the fault tests also get the label `chaos` (`ctest -L chaos`).
set(chaos_tests
  CaptureRecovery.KillNineMidWorkloadThenRestartLosesNothingAndStoresNothingTwice
  CaptureRecovery.NatsServerRestartMidWorkloadLosesNothing
  CaptureRecovery.ALivePostgresCrashAndRestartLosesNothingAndDoublesNothing
  BackupTest.AFullSnapshotDiskFailsTheJobCleanlyAndTheNextBackupSucceedsOnceThereIsRoom
  CommandsTest.ASchedulerKilledDuringAnS3MultipartUploadLeavesNothingBehind
  TransformServiceTest.KilledMidStreamAndRestartedItStoresEveryEventExactlyOnce
  TransformServiceTest.ABatchStoredSlowerThanAckWaitIsNotRedelivered
  DbopTest.ARestoreWhoseDbopWasKilledIsTakenOverByAnotherCopy
  SessionRunnerTest.AKilledMsgopsSessionIsHandedBackToDbopFromWhereItWasAndPlaysOnExactly
  SessionRunnerTest.AMsgopKilledDuringCatchUpHasTheSessionRestoredAndCaughtUpAgain)
foreach(test ${chaos_tests})
  set_tests_properties(${test} PROPERTIES LABELS "integration;chaos")
endforeach()
