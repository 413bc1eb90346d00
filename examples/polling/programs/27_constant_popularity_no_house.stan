// Constant popularity measured by unbiased polls, each pollster with its own noise level.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
parameters {
  real level;
  vector<lower=0>[num_pollsters] poll_sd;
}
model {
  level ~ normal(50, 10);
  poll_sd ~ normal(0, 5) T[0, ];
  result ~ normal(level, poll_sd[pollster]);
}
generated quantities {
  array[num_days] real popularity;
  for (d in 1:num_days) {
    popularity[d] = level;
  }
}
