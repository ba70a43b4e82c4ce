// ChildProcess leaves no process behind, even when the test process itself is killed outright.
#include "support/process.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace tapedeck::testing {
namespace {

// True while `pid` exists and is not a zombie (a zombie has already died; only its parent, or
// init, has not collected it yet).
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  const auto name_end = text.rfind(')');
  if (name_end == std::string::npos || name_end + 2 >= text.size()) return false;
  const char state = text[name_end + 2];
  return state != 'Z' && state != 'X';
}

TEST(ChildProcess, IsKilledWhenTheProcessThatStartedItIsKilledOutright) {
  int pid_pipe[2];
  ASSERT_EQ(::pipe(pid_pipe), 0);
  // The intermediate process stands for a test binary that ctest kills on a timeout.
  const pid_t intermediate = ::fork();
  ASSERT_GE(intermediate, 0);
  if (intermediate == 0) {
    ::close(pid_pipe[0]);
    ChildProcess sleeper({"/bin/sleep", "600"}, {});
    const pid_t pid = sleeper.pid();
    [[maybe_unused]] const ssize_t written = ::write(pid_pipe[1], &pid, sizeof pid);
    ::pause();  // until killed
    ::_exit(0);
  }
  ::close(pid_pipe[1]);
  pid_t sleeper = -1;
  const ssize_t got = ::read(pid_pipe[0], &sleeper, sizeof sleeper);
  ::close(pid_pipe[0]);
  ASSERT_EQ(got, static_cast<ssize_t>(sizeof sleeper));
  ASSERT_GT(sleeper, 0);
  ASSERT_TRUE(alive(sleeper));

  ::kill(intermediate, SIGKILL);
  ::waitpid(intermediate, nullptr, 0);

  // Eventually, not quickly: the limit only keeps a broken ChildProcess from hanging the test.
  EXPECT_TRUE(eventually([&] { return !alive(sleeper); }, std::chrono::seconds(30)))
      << "sleep " << sleeper << " outlived the process that started it";
  if (alive(sleeper)) ::kill(sleeper, SIGKILL);
}

TEST(ChildProcess, KillsItsChildWhenItGoesAway) {
  pid_t pid = -1;
  {
    ChildProcess sleeper({"/bin/sleep", "600"}, {});
    pid = sleeper.pid();
    ASSERT_TRUE(alive(pid));
  }
  EXPECT_FALSE(alive(pid));
}

TEST(ChildProcess, AProgramThatCannotStartIsATestFailureNamingIt) {
  EXPECT_NONFATAL_FAILURE(ChildProcess({"/nonexistent/tapedeck", "capture"}, {}),
                          "cannot start /nonexistent/tapedeck: No such file or directory");
}

}  // namespace
}  // namespace tapedeck::testing
